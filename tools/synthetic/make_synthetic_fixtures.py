#!/usr/bin/env python3
"""Tests/Fixtures/synthetic: a few held-out test clips (H.264, as the daemon
reads them) with what PyTorch computes for them from the exported default
model (models/synthetic, loaded back from its files, so the export is checked
too): per clip the meanP and Mamba-adapter clip embeddings and the prompt-
ensemble embeddings of its caption and of its reversed twin. The Swift test
decodes the same clips with the Video module and must agree.
Usage: tools/synthetic/make_synthetic_fixtures.sh
"""
import json
import os
import shutil
import sys

import torch
import torch.nn.functional as F
from transformers import CLIPModel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train import MeanPHead, Tokens, decode, embed_images, ensemble, padded  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "temporal"))
from continuous_mamba import ContinuousAdapter  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
MODEL = os.path.join(ROOT, "models", "synthetic")
DATA = os.path.join(ROOT, "bench-out", "synthetic")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "synthetic")


FPS = 4  # the fixture clips' frames: every second frame of the world's 8 fps


def main():
    model = CLIPModel.from_pretrained(MODEL).eval()
    tokens = Tokens(MODEL)
    # Stepped in stream time as the daemon steps it, at the adapter's own nominal rate.
    mamba = ContinuousAdapter.load(os.path.join(MODEL, "temporal.safetensors")).eval()
    manifest = json.load(open(os.path.join(DATA, "manifest.json")))
    clips = [c for c in manifest["test"] if c["twin"]][:6]
    os.makedirs(OUT, exist_ok=True)
    cases = []
    with torch.no_grad():
        for i, clip in enumerate(clips):
            name = f"clip-{i}.mp4"
            shutil.copy(os.path.join(DATA, clip["file"]), os.path.join(OUT, name))
            e = embed_images(model, decode(os.path.join(OUT, name))[::2])
            batch, lengths = padded([e])
            meanp = MeanPHead()(batch, lengths)[0]
            adapter = F.normalize(mamba(e[None], torch.arange(len(e), dtype=torch.float32)[None] / FPS)[0, -1], dim=-1)
            caption, twin = ensemble(model, tokens, [clip["canonical"], clip["twin"]])
            cases.append({"file": name, "caption": clip["canonical"], "twin": clip["twin"], "frames": len(e),
                          "frame_embeddings": e.tolist(),
                          "meanP": meanp.tolist(), "mamba": adapter.tolist(), "caption_embedding": caption.tolist(),
                          "twin_embedding": twin.tolist()})
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"fps": FPS, "cases": cases}, f)
    shutil.copy(os.path.join(MODEL, "VERSIONS.txt"), os.path.join(OUT, "VERSIONS.txt"))
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
