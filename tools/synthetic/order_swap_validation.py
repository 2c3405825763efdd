#!/usr/bin/env python3
"""Order-swap accuracy of meanP and the shipped Mamba adapter (models/synthetic)
on validation clips: combinations seen in training, drawn with a seed training
did not use. Prints the accuracy per head and per action, and the adapter's gate.
The README quotes it next to the held-out test figure.
Usage (repository root): tools/.venv/bin/python tools/synthetic/order_swap_validation.py [--clips 300] [--seed 99]"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import world  # noqa: E402
from train import CLIPModel, MeanPHead, Tokens, embed_images, ensemble, load_adapter, padded  # noqa: E402

MODEL = os.path.join(HERE, "..", "..", "models", "synthetic")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=300)
    parser.add_argument("--seed", type=int, default=99)
    args = parser.parse_args()
    model = CLIPModel.from_pretrained(MODEL).eval()
    tokens = Tokens(MODEL)
    mamba = load_adapter(os.path.join(MODEL, "temporal.safetensors"))
    rng = np.random.default_rng(args.seed)
    clips = [c for c in (world.make_clip(rng, "train") for _ in range(args.clips)) if c["twin"]]
    with torch.no_grad():
        e, lengths = padded([embed_images(model, c["frames"][::2]) for c in clips])
        canon = ensemble(model, tokens, [c["canonical"] for c in clips])
        twins = ensemble(model, tokens, [c["twin"] for c in clips])
        for name, head in (("meanP", MeanPHead()), ("Mamba adapter", mamba)):
            v = head(e, lengths)
            wins = ((v * canon).sum(-1) > (v * twins).sum(-1)).tolist()
            per_action = {}
            for clip, win in zip(clips, wins):
                per_action.setdefault(clip["action"], []).append(win)
            print(f"{name}: order-swap {np.mean(wins):.3f} on {len(clips)} validation clips; "
                  + ", ".join(f"{a} {np.mean(w):.2f}" for a, w in sorted(per_action.items())))
    print(f"adapter gate g = {mamba.gate.item():.4f} (tanh(g) = {np.tanh(mamba.gate.item()):.4f})")


if __name__ == "__main__":
    main()
