#!/usr/bin/env python3
"""Reference fixtures for the Swift CLIP module, made with Hugging Face
`transformers` (CLIPTokenizer, CLIPModel), which nobody here wrote.

Writes into Tests/Fixtures/clip/:
  tokenizer/vocab.json, merges.txt  OpenAI's real BPE vocabulary (from the
                                    open_clip_torch wheel, `pip download`)
  tokenizer_cases.json              >1,000 varied strings and transformers' ids
  models/NAME/                      tiny random CLIP checkpoints in HF layout
                                    (config.json, model.safetensors, vocab.json,
                                    merges.txt, preprocessor_config.json) and
                                    reference.safetensors + reference.json
  VERSIONS.txt

`--full DIR` instead writes the full ViT-B/32 architecture with random weights
and its references to DIR (about 600 MB, not committed); see README.
Run: tools/make_clip_fixtures.sh [--full DIR]
"""
import argparse
import glob
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import safetensors
import torch
import transformers
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clip_vocab import write_vocabulary  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "Fixtures", "clip")
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


def openai_merges():
    """OpenAI's merges from the open_clip_torch wheel (fetched with pip download --no-deps)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "open_clip_torch", "-d", tmp], check=True)
        wheel = glob.glob(os.path.join(tmp, "open_clip_torch-*.whl"))[0]
        with zipfile.ZipFile(wheel) as z:
            text = gzip.decompress(z.read("open_clip/bpe_simple_vocab_16e6.txt.gz")).decode("utf-8")
            licence = next(n for n in z.namelist() if n.endswith("LICENSE"))
            licence_text = z.read(licence).decode("utf-8")
    lines = text.split("\n")
    return [tuple(m.split()) for m in lines[1 : 49152 - 256 - 2 + 1]], licence_text


def tokenizer_cases(rng):
    """Varied strings: plain, punctuation, numbers, contractions, accents, CJK, emoji, whitespace, long, hostile."""
    words = ("a person falls down on the floor car truck dog cat package left at door smoke fire red blue green "
             "yellow circle square triangle moves left right enters leaves grows shrinks appears disappears "
             "driveway kitchen garage night day rain snow bicycle child elderly man woman delivery courier").split()
    fixed = [
        "", " ", "a", "A", "a photo of a cat", "It's a DOG!", "don't", "they're here", "we've", "I'm", "you'll", "he'd",
        "'s", "''s", "'sup", "rock'n'roll", "O'Neil's", "3.14159", "2024-11-23", "12:30pm", "1,000,000", "x86_64",
        "naïve café", "résumé", "Ångström", "Crème brûlée", "e\u0301", "ñandú", "İstanbul", "ΟΔΟΣ Σ", "Σίσυφος",
        "東京タワー", "北京欢迎你", "한국어 텍스트", "日本語のテキスト", "हिन्दी", "العربية", "עברית", "ไทย",
        "😀👍🏽", "👨‍👩‍👧‍👦 family", "🔥 smoke or fire 🔥", "❤️", "a\u00a0b\u3000c\u200bd", "tab\tnew\nline\r\n",
        "  multiple   spaces  ", "<|endoftext|> x", "<|startoftext|>", "<|ENDOFTEXT|>", "a<|endoftext|>b",
        "!!!", "...", "?!?!", "#hashtag", "@user", "email@example.com", "https://example.com/path?x=1",
        "C++ & C#", "100%", "$9.99", "€5", "½ ¼ ¾", "²³", "Ⅻ", "\u0000\u0001", "\ufeffbom", "ﬁ ligature",
        "ＦＵＬＬＷＩＤＴＨ", "MiXeD CaSe WoRdS", "ß straße", "ǅ title", "ﬀ", "ᾼ", "\u0130", "K\u212a",
        "x" * 300, "a " * 120, "person " * 80, "😀" * 100, "東" * 120,
    ]
    alphabet = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"()-_/\\&%$#@*+=<>[]{}|~`^")
    unicode_pool = list("éèêëàâäôöûüçñßøåæœÆØÅÉÈÇ東京日本語中文한국어Привет мир Ελληνικά😀🔥👍🏽❤️‍🔥🚗🐕📦ℕ℮™©®°±×÷∞≈≠")
    cases = list(fixed)
    while len(cases) < 1100:
        kind = rng.randrange(5)
        if kind == 0:
            cases.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))))
        elif kind == 1:
            cases.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))))
        elif kind == 2:
            cases.append("".join(rng.choice(alphabet + unicode_pool) for _ in range(rng.randint(1, 30))))
        elif kind == 3:
            w = [rng.choice(words) for _ in range(rng.randint(1, 6))]
            cases.append(rng.choice(["A ", "the ", "", "Is there a "]) + " ".join(w).capitalize() + rng.choice(["", ".", "!", "?", "'s", " 2", " #3"]))
        else:
            cases.append(" ".join(rng.choice(words) for _ in range(rng.randint(60, 100))))
    return cases


def write_tokenizer_cases(tokenizer_dir, rng):
    tokenizer = CLIPTokenizer.from_pretrained(tokenizer_dir)
    cases = []
    for text in tokenizer_cases(rng):
        ids = tokenizer(text, padding="max_length", max_length=77, truncation=True)["input_ids"]
        length = len(ids)
        while length > 0 and ids[length - 1] == tokenizer.pad_token_id and length > 1 and ids[length - 2] == tokenizer.pad_token_id:
            length -= 1
        cases.append({"text": text, "ids": ids[:length]})
    with open(os.path.join(OUT, "tokenizer_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"context_length": 77, "pad_id": tokenizer.pad_token_id, "cases": cases}, f, ensure_ascii=False)
    return len(cases)


# Tiny checkpoints: odd head counts, quick_gelu and gelu, image sizes not a multiple of 32,
# both EOS-pooling conventions (legacy eos_token_id 2 → argmax; real id → first occurrence).
TINY = [
    dict(name="tiny-quickgelu", act="quick_gelu", eps=1e-5, eos_legacy=True, merges=300,
         vision=dict(hidden=32, layers=2, heads=4, inter=64, image=40, patch=8),
         text=dict(hidden=24, layers=2, heads=3, inter=48, positions=20), projection=16),
    dict(name="tiny-gelu", act="gelu", eps=1e-6, eos_legacy=False, merges=200,
         vision=dict(hidden=36, layers=3, heads=3, inter=72, image=35, patch=7),
         text=dict(hidden=40, layers=1, heads=5, inter=80, positions=16), projection=20),
    dict(name="tiny-odd", act="quick_gelu", eps=1e-5, eos_legacy=False, merges=150,
         vision=dict(hidden=30, layers=1, heads=5, inter=50, image=33, patch=11),
         text=dict(hidden=21, layers=2, heads=7, inter=35, positions=12), projection=9),
]
TEXTS = ["a photo of a cat", "a person falls down", "Smoke or FIRE!", "", "the red car enters from the left, slowly.",
         "x " * 40]


def clip_config(spec, vocab_size, eos_id):
    v, t = spec["vision"], spec["text"]
    return CLIPConfig(
        text_config=dict(vocab_size=vocab_size, hidden_size=t["hidden"], intermediate_size=t["inter"],
                         num_hidden_layers=t["layers"], num_attention_heads=t["heads"], max_position_embeddings=t["positions"],
                         hidden_act=spec["act"], layer_norm_eps=spec["eps"], bos_token_id=vocab_size - 2,
                         eos_token_id=2 if spec["eos_legacy"] else eos_id, pad_token_id=1 if spec["eos_legacy"] else eos_id,
                         projection_dim=spec["projection"]),
        vision_config=dict(hidden_size=v["hidden"], intermediate_size=v["inter"], num_hidden_layers=v["layers"],
                           num_attention_heads=v["heads"], image_size=v["image"], patch_size=v["patch"],
                           hidden_act=spec["act"], layer_norm_eps=spec["eps"], projection_dim=spec["projection"]),
        projection_dim=spec["projection"], logit_scale_init_value=2.6592)


def features(output):
    return output if isinstance(output, torch.Tensor) else output.pooler_output


def write_model(directory, spec, merges, generator):
    vocab_size = write_vocabulary(directory, merges[: spec["merges"]])
    config = clip_config(spec, vocab_size, vocab_size - 1)
    torch.manual_seed(int(generator.integers(1 << 31)))
    model = CLIPModel(config).eval()
    with torch.no_grad():  # make every parameter matter (HF inits biases to 0, LN to identity)
        for name, p in model.named_parameters():
            if name.endswith("logit_scale"):
                continue
            p.add_(torch.randn(p.shape) * (0.05 if p.dim() > 1 else 0.1))
    model.save_pretrained(directory, safe_serialization=True)
    with open(os.path.join(directory, "preprocessor_config.json"), "w") as f:
        json.dump({"image_mean": MEAN, "image_std": STD, "crop_size": spec["vision"]["image"],
                   "size": {"shortest_edge": spec["vision"]["image"]}, "do_normalize": True, "rescale_factor": 1 / 255}, f)

    tokenizer = CLIPTokenizer.from_pretrained(directory)
    positions = spec["text"]["positions"]
    tokens = tokenizer(TEXTS, padding="max_length", max_length=positions, truncation=True, return_tensors="pt")
    size = spec["vision"]["image"]
    images = [generator.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(3)]
    ramp = np.zeros((size, size, 3), dtype=np.uint8)
    ramp[..., 0] = np.linspace(0, 255, size)[None, :]
    ramp[..., 1] = np.linspace(255, 0, size)[:, None]
    ramp[..., 2] = 128
    images.append(ramp)
    pixels = torch.tensor(np.stack(images)).float().div(255)
    pixels = (pixels - torch.tensor(MEAN)) / torch.tensor(STD)
    pixel_values = pixels.permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        image_embeds = features(model.get_image_features(pixel_values=pixel_values))
        text_embeds = features(model.get_text_features(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]))
    image_embeds = image_embeds / image_embeds.norm(dim=-1, keepdim=True)
    text_embeds = text_embeds / text_embeds.norm(dim=-1, keepdim=True)
    save_file({"images": torch.tensor(np.stack(images)).float(), "image_embeds": image_embeds.contiguous(),
               "text_embeds": text_embeds.contiguous()}, os.path.join(directory, "reference.safetensors"))
    with open(os.path.join(directory, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"texts": TEXTS, "input_ids": tokens["input_ids"].tolist(),
                   "logit_scale": model.logit_scale.exp().item()}, f, ensure_ascii=False)


def write_full(directory, generator):
    """ViT-B/32 architecture with random weights (on demand, not committed)."""
    merges, _ = openai_merges()
    vocab_size = write_vocabulary(directory, merges)
    config = CLIPConfig(text_config=dict(vocab_size=vocab_size, eos_token_id=2, bos_token_id=49406, pad_token_id=1),
                        vision_config=dict(), projection_dim=512)
    torch.manual_seed(1)
    model = CLIPModel(config).eval()
    model.save_pretrained(directory, safe_serialization=True)
    with open(os.path.join(directory, "preprocessor_config.json"), "w") as f:
        json.dump({"image_mean": MEAN, "image_std": STD}, f)
    tokenizer = CLIPTokenizer.from_pretrained(directory)
    tokens = tokenizer(TEXTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt")
    images = [generator.integers(0, 256, (224, 224, 3), dtype=np.uint8) for _ in range(2)]
    pixels = (torch.tensor(np.stack(images)).float().div(255) - torch.tensor(MEAN)) / torch.tensor(STD)
    with torch.no_grad():
        image_embeds = features(model.get_image_features(pixel_values=pixels.permute(0, 3, 1, 2).contiguous()))
        text_embeds = features(model.get_text_features(**tokens))
    save_file({"images": torch.tensor(np.stack(images)).float(),
               "image_embeds": (image_embeds / image_embeds.norm(dim=-1, keepdim=True)).contiguous(),
               "text_embeds": (text_embeds / text_embeds.norm(dim=-1, keepdim=True)).contiguous()},
              os.path.join(directory, "reference.safetensors"))
    with open(os.path.join(directory, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"texts": TEXTS, "input_ids": tokens["input_ids"].tolist(), "logit_scale": model.logit_scale.exp().item()}, f)
    print(f"full ViT-B/32 random checkpoint and references in {directory}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", metavar="DIR", help="write the full ViT-B/32 architecture to DIR instead")
    args = parser.parse_args()
    generator = np.random.default_rng(2026)
    if args.full:
        write_full(args.full, generator)
        return
    merges, licence = openai_merges()
    tokenizer_dir = os.path.join(OUT, "tokenizer")
    write_vocabulary(tokenizer_dir, merges)
    with open(os.path.join(tokenizer_dir, "LICENSE.open_clip"), "w") as f:
        f.write(licence)
    count = write_tokenizer_cases(tokenizer_dir, random.Random(7))
    print(f"tokenizer: {count} cases")
    for spec in TINY:
        directory = os.path.join(OUT, "models", spec["name"])
        shutil.rmtree(directory, ignore_errors=True)
        write_model(directory, spec, merges, generator)
        print(f"model {spec['name']}: written")
    with open(os.path.join(OUT, "VERSIONS.txt"), "w") as f:
        import tokenizers
        f.write(f"python {sys.version.split()[0]}\ntorch {torch.__version__}\ntransformers {transformers.__version__}\n"
                f"tokenizers {tokenizers.__version__}\nsafetensors {safetensors.__version__}\nnumpy {np.__version__}\n"
                "generated by tools/make_clip_fixtures.sh; do not edit by hand\n")


if __name__ == "__main__":
    main()
