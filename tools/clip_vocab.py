"""CLIP's byte-level BPE vocabulary files (vocab.json + merges.txt) as OpenAI's
SimpleTokenizer lays them out, and a small BPE learner for the synthetic
model's captions. Shared by make_clip_fixtures.py and train/train.py."""
import collections
import json
import os
import re


def bytes_to_unicode():
    """GPT-2/CLIP's reversible byte -> printable character table, in byte order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def write_vocabulary(directory, merges):
    """vocab.json + merges.txt as OpenAI's SimpleTokenizer builds the vocabulary:
    bytes, bytes + </w>, merges in rank order, then the two special tokens."""
    os.makedirs(directory, exist_ok=True)
    symbols = bytes_to_unicode()
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(directory, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for m in merges:
            f.write(" ".join(m) + "\n")
    return len(vocab)


def learn_merges(texts, count):
    """Up to `count` BPE merges learned from `texts` (lower-cased ASCII words,
    CLIP's end-of-word marker on the last symbol). Ties break by the pair's
    text, so the result is deterministic."""
    words = collections.Counter(w for t in texts for w in re.findall(r"[a-z]+|[0-9]|[^\sa-z0-9]+", t.lower()))
    pieces = {w: tuple(w[:-1]) + (w[-1] + "</w>",) for w in words}
    merges = []
    while len(merges) < count:
        pairs = collections.Counter()
        for word, n in words.items():
            symbols = pieces[word]
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        for word in words:
            symbols, merged, i = pieces[word], [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            pieces[word] = tuple(merged)
    return merges
