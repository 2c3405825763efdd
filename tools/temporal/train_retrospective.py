#!/usr/bin/env python3
"""train-adapter --retrospective: teaches the bidirectional memory re-ranker
(tools/temporal/bidirectional.py; `[model] retrospective` loads it) to answer
questions about the past from a camera's compressed memory, for any Hugging
Face CLIP checkpoint. The CLIP towers stay frozen.

The footage of every labelled file is embedded at each --fps and compressed
exactly as the daemon stores its memory (tools/temporal/memory_bank.py: blocks
of --block-seconds, at most --entries per block), so the re-ranker learns on
the sequences `monitor search` will read. A training window is a run of
consecutive entries (--min-window..--max-window long, as the search's runs
around its candidates). At each entry the re-ranker's output must prefer the
captions of the labelled intervals the entry would answer (temporal IoU >= 0.3
with one, or half of the entry inside one) over every other caption and the
daemon's background scenes, and so must its output at each boundary between
two entries for the intervals that --transition-seconds around the boundary
would answer (IoU >= 0.3: actions are changes, and the bank keeps changes as
boundaries); what answers none must prefer the background scenes.

Reports on --validation labels, per label `kind` when the rows give one
("object", "action"): R@1 and R@5 of each caption over each validation file's
entries and boundaries scoring --threshold or more (a hit: temporal IoU >= 0.3
with one of its intervals; adjacent entries are not merged as the search
merges them), for the re-ranker and for the entries as stored (what the
search scores without it). Benchmarks/eval-memory measures the search itself.
Checkpoints every --checkpoint-every steps into --work (resumed with --resume).

Usage: tools/train-adapter --retrospective --clip DIR --labels FILE [--validation FILE] --out retrospective.safetensors
"""
import argparse
import json
import os
import platform
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bidirectional import KIND, BidirectionalAdapter  # noqa: E402
from footage import BACKGROUNDS, Embedder  # noqa: E402
from memory_bank import compress  # noqa: E402
from train_adapter import Optimisation, Progress, log, seeded_labels  # noqa: E402

HIT_IOU = 0.3  # Benchmarks/eval-memory's hit


def answers(start, end, interval):
    """Whether an entry spanning start..end answers a labelled interval: temporal IoU >= 0.3, or at
    least half of the entry inside it (a single frame: inside it)."""
    low, high = interval
    overlap = max(0.0, min(end, high) - max(start, low))
    union = max(end, high) - min(start, low)
    if union > 0 and overlap / union >= HIT_IOU:
        return True
    return overlap >= 0.5 * (end - start) if end > start else low <= start <= high


def boundary_spans(starts, ends, transition):
    """The span a hit at each boundary between consecutive entries reports: `transition` seconds around it."""
    middles = (np.asarray(ends[:-1]) + np.asarray(starts[1:])) / 2
    return middles - transition / 2, middles + transition / 2


class Memories:
    """Per labelled file and rate: the stored entries (starts, ends, normalised means) and which captions each
    entry and each boundary between entries answers."""

    def __init__(self, events, embedder, rates, args):
        self.captions = sorted({e.caption for e in events})
        index = {c: i for i, c in enumerate(self.captions)}
        self.text = embedder.texts(self.captions + BACKGROUNDS)
        self.sequences = []
        top = max(rates)
        for path in sorted({e.file for e in events}):
            frames = embedder.frames(path).numpy()
            labelled = [e for e in events if e.file == path]
            for rate in rates:
                step = max(1, round(top / rate))
                chosen = frames[::step]
                times = np.arange(len(chosen)) * step / top
                entries = compress(chosen, times, args.block_seconds, args.entries)
                starts = np.array([e[0] for e in entries])
                ends = np.array([e[1] for e in entries])
                means = F.normalize(torch.from_numpy(np.stack([e[3] for e in entries])), dim=-1)
                lows, highs = boundary_spans(starts, ends, args.transition_seconds)
                positives = torch.zeros(len(entries), len(self.captions), dtype=torch.bool)
                crossing = torch.zeros(len(entries) - 1, len(self.captions), dtype=torch.bool)
                for event in labelled:
                    for i in range(len(entries)):
                        if answers(starts[i], ends[i], (event.start, event.end)):
                            positives[i, index[event.caption]] = True
                        if i + 1 < len(entries) and answers_iou(lows[i], highs[i], [(event.start, event.end)]):
                            crossing[i, index[event.caption]] = True
                self.sequences.append({"file": path, "rate": rate, "starts": starts, "ends": ends, "means": means,
                                       "positives": positives, "crossing": crossing})

    @property
    def shortest(self):
        """Entries in the shortest sequence: a batch's windows are all one length, at most this."""
        return min(len(s["means"]) for s in self.sequences)

    def window(self, rng, length):
        sequence = rng.choice(self.sequences)
        begin = rng.randrange(0, len(sequence["means"]) - length + 1)
        return (sequence["means"][begin:begin + length], sequence["positives"][begin:begin + length],
                sequence["crossing"][begin:begin + length - 1])


def loss_of(model, batch, text, scale, device):
    """Two terms. A softmax over every caption and the background scenes: the positives must win over the
    other captions. And the score `monitor search` ranks by, each caption against the background scenes
    alone (log-odds: its logit minus the log-sum-exp of theirs): near 1 for the positives, near 0 for every
    other caption (the mean over positive pairs and over negative pairs, each weighing one)."""
    means = torch.stack([b[0] for b in batch]).to(device)
    entries, boundaries = model(means)
    outputs = torch.cat([entries, boundaries], dim=1)
    positives = torch.cat([torch.stack([b[1] for b in batch]), torch.stack([b[2] for b in batch])], dim=1).to(device)
    logits = scale * F.normalize(outputs, dim=-1) @ text.T
    log_probs = logits.log_softmax(-1)
    captions = positives.shape[-1]
    on_captions = torch.logsumexp(log_probs[..., :captions].masked_fill(~positives, -1e9), dim=-1)
    on_background = torch.logsumexp(log_probs[..., captions:], dim=-1)
    softmax = -torch.where(positives.any(-1), on_captions, on_background).mean()
    odds = logits[..., :captions] - torch.logsumexp(logits[..., captions:], dim=-1, keepdim=True)
    calibrated = F.softplus(-odds[positives]).mean() if positives.any() else odds.sum() * 0
    return softmax + calibrated + F.softplus(odds[~positives]).mean()


@torch.no_grad()
def validate(model, events, kinds, embedder, args, device):
    """R@1 / R@5 per label kind, re-ranked and as stored, at the highest --fps."""
    memories = Memories(events, embedder, [max(args.fps)], args)
    text = memories.text.to(device)
    scale = embedder.logit_scale
    backgrounds = list(range(len(memories.captions), len(memories.captions) + len(BACKGROUNDS)))
    found = {}
    for sequence in memories.sequences:
        stored = sequence["means"].to(device)
        entries, boundaries = model(stored[None])
        lows, highs = boundary_spans(sequence["starts"], sequence["ends"], args.transition_seconds)
        spans = {"re-ranked": (np.concatenate([sequence["starts"], lows]), np.concatenate([sequence["ends"], highs])),
                 "stored": (sequence["starts"], sequence["ends"])}
        outputs = {"re-ranked": F.normalize(torch.cat([entries[0], boundaries[0]]), dim=-1), "stored": stored}
        labelled = [e for e in events if e.file == sequence["file"]]
        for caption in sorted({e.caption for e in labelled}):
            intervals = [(e.start, e.end) for e in labelled if e.caption == caption]
            chosen = [memories.captions.index(caption)] + backgrounds
            for name, out in outputs.items():
                scores = (scale * out @ text[chosen].T).softmax(-1)[:, 0]
                order = [i for i in scores.argsort(descending=True).tolist() if scores[i] >= args.threshold]
                row = found.setdefault((kinds.get(caption, "all"), name), [0, 0, 0])
                for k, limit in enumerate((1, 5)):
                    row[k] += any(answers_iou(spans[name][0][i], spans[name][1][i], intervals)
                                  for i in order[:limit])
                row[2] += 1
    return {f"{kind} {name}": {"R@1": round(r1 / n, 3), "R@5": round(r5 / n, 3), "queries": n}
            for (kind, name), (r1, r5, n) in sorted(found.items())}


def answers_iou(start, end, intervals):
    """A search hit: temporal IoU >= 0.3 with one of the intervals."""
    for low, high in intervals:
        overlap = max(0.0, min(end, high) - max(start, low))
        union = max(end, high) - min(start, low)
        if union > 0 and overlap / union >= HIT_IOU:
            return True
    return False


def label_kinds(path):
    """caption -> the `kind` its JSONL rows give (report only; CSV or no kind: none)."""
    kinds = {}
    if path.endswith(".csv"):
        return kinds
    with open(path) as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                if row.get("kind"):
                    kinds[str(row["caption"]).strip()] = str(row["kind"])
    return kinds


def main():
    parser = argparse.ArgumentParser(prog="train-adapter --retrospective", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--clip", required=True, help="Hugging Face CLIP directory (the one [model] clip names)")
    parser.add_argument("--labels", required=True, help="training intervals, JSONL or CSV (file, start, end, caption)")
    parser.add_argument("--validation", help="held-out intervals, JSONL or CSV: the report's R@1 / R@5")
    parser.add_argument("--out", required=True, help="the retrospective.safetensors to write")
    parser.add_argument("--work", default=".train-adapter", help="embedding cache and checkpoints")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --work")
    parser.add_argument("--block-seconds", type=float, default=120, help="the daemon's [memory] block_seconds")
    parser.add_argument("--entries", type=int, default=8, help="the daemon's [memory] entries_per_block")
    parser.add_argument("--fps", type=float, nargs="+", default=[2.0, 4.0],
                        help="camera rates the memory is made at (each a whole divisor of the highest)")
    parser.add_argument("--transition-seconds", type=float, default=2.0,
                        help="how long a span a hit at a boundary between entries reports (the length of an action)")
    parser.add_argument("--threshold", type=float, default=0.5, help="validation: the score a hit needs "
                        "(monitor search's default)")
    parser.add_argument("--min-window", type=int, default=8, help="fewest entries in a training window")
    parser.add_argument("--max-window", type=int, default=48, help="most entries in a training window")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--checkpoint-every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    if args.steps < 20:
        parser.error("--steps: at least 20 (the learning-rate schedule warms up over the first tenth)")
    if not 1 <= args.min_window <= args.max_window:
        parser.error("need 1 <= --min-window <= --max-window")
    if args.transition_seconds <= 0:
        parser.error("--transition-seconds must be positive")
    if args.block_seconds <= 0 or args.entries < 1:
        parser.error("--block-seconds must be positive and --entries at least 1")
    top = max(args.fps)
    if any(f <= 0 or abs(top / f - round(top / f)) > 1e-9 for f in args.fps):
        parser.error("--fps: positive rates, each a whole divisor of the highest (e.g. 2 4)")
    started = time.time()
    events, held_out = seeded_labels(args)
    embedder = Embedder(args.clip, os.path.join(args.work, "frames"), args.device, top)
    files = sorted({e.file for e in events + held_out})
    progress = Progress(len(files), "embedding footage:")
    for done, path in enumerate(files, 1):
        embedder.frames(path)
        progress.update(done, os.path.basename(path))
    log("train-adapter: compressing the footage as the daemon's memory stores it...")
    memories = Memories(events, embedder, args.fps, args)
    entries = sum(len(s["means"]) for s in memories.sequences)
    answering = sum(int(s["positives"].any(-1).sum()) for s in memories.sequences)
    log(f"train-adapter: {len(events)} intervals, {len(memories.captions)} captions, {entries} entries "
        f"({answering} answer a caption), width {embedder.width}, device {args.device}")
    model = BidirectionalAdapter(embedder.width).to(args.device)
    optimisation = Optimisation(model, args, "retrospective-checkpoint.pt")
    first = optimisation.resume()
    rng = random.Random(args.seed * 1000 + first)
    text = memories.text.to(args.device)
    progress = Progress(args.steps, "training:")
    for step in range(first, args.steps):
        length = min(rng.randint(args.min_window, args.max_window), memories.shortest)
        loss = loss_of(model, [memories.window(rng, length) for _ in range(args.batch)], text,
                       embedder.logit_scale, args.device)
        optimisation.step(loss, step)
        progress.update(step + 1, f"loss {loss.item():.3f}")
    model.eval()
    report = None
    if held_out:
        report = validate(model, held_out, label_kinds(args.validation), embedder, args, args.device)
        log("validation: " + json.dumps(report, indent=1))
    from safetensors.torch import save_file
    metadata = {"kind": KIND, "layer_norm_eps": str(model.norm.eps), "d_model": str(embedder.width),
                "block_seconds": f"{args.block_seconds:g}", "entries_per_block": str(args.entries),
                "transition_seconds": f"{args.transition_seconds:g}",
                "fps": " ".join(f"{f:g}" for f in args.fps), "clip": os.path.basename(os.path.normpath(args.clip)),
                "trained_by": "tools/train-adapter --retrospective", "steps": str(args.steps),
                "intervals": str(len(events)), "wall_seconds": str(round(time.time() - started)),
                "torch": torch.__version__, "python": platform.python_version()}
    if report:
        metadata["validation"] = json.dumps(report)
    save_file(model.tensors(), args.out, metadata=metadata)
    log(f"train-adapter: wrote {args.out} ({(time.time() - started) / 60:.1f} min)")


if __name__ == "__main__":
    main()
