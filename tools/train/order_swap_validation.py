#!/usr/bin/env python3
"""Order-swap accuracy of meanP and the shipped Mamba adapter on validation clips
(combinations seen in training, seed 99), next to the held-out test figure in
metrics.json; also the gate and per-action accuracy. Run from the repository root
with tools/.venv/bin/python."""
import sys

import numpy as np
import torch
sys.path.insert(0, "tools/train"); sys.path.insert(0, "tools/synth"); sys.path.insert(0, "tools")
from train import CLIPModel, MambaAdapterHead, MeanPHead, Tokens, embed_images, ensemble, padded  # noqa: E402
import world  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
model = CLIPModel.from_pretrained("models/synthetic").eval()
tokens = Tokens("models/synthetic")
w = load_file("models/synthetic/temporal.safetensors")
mamba = MambaAdapterHead(64)
mamba.block.load_state_dict({k: v for k, v in w.items() if not k.startswith(("norm.", "gate"))})
mamba.norm.load_state_dict({"weight": w["norm.weight"], "bias": w["norm.bias"]})
with torch.no_grad(): mamba.gate.copy_(w["gate"])
print("gate", w["gate"])
rng = np.random.default_rng(99)
clips = [world.make_clip(rng, "train") for _ in range(300)]
clips = [c for c in clips if c["twin"]]
with torch.no_grad():
    emb = [embed_images(model, c["frames"][::2]) for c in clips]
    e, l = padded(emb)
    canon = ensemble(model, tokens, [c["canonical"] for c in clips])
    twins = ensemble(model, tokens, [c["twin"] for c in clips])
    for name, head in [("meanP", MeanPHead()), ("mamba", mamba)]:
        v = head(e, l)
        wins = ((v * canon).sum(-1) > (v * twins).sum(-1)).float().mean().item()
        print(name, "val order-swap", wins)
    # text separation: cos between canonical and twin
    print("text cos(canon, twin) mean", (canon * twins).sum(-1).mean().item())
    acts = {}
    v = mamba(e, l)
    for c, ok in zip(clips, ((v * canon).sum(-1) > (v * twins).sum(-1)).tolist()):
        acts.setdefault(c["action"], []).append(ok)
    print({k: round(np.mean(x), 2) for k, x in acts.items()})
