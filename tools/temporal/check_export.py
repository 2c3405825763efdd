#!/usr/bin/env python3
"""Checks an adapter train-adapter exported against the daemon on one clip:
`monitor-bench adapter-trace` prints the Swift engine's frame times, CLIP
embeddings and adapter outputs; this feeds the same embeddings and times to the
PyTorch adapter loaded from the same file (the model the trainer trained) and
compares the outputs (max |difference| <= 1e-4), and compares the Swift CLIP
embeddings with transformers' on the same frames (cosine >= 0.999).
Usage: check_export.py CLIP_DIR TEMPORAL_FILE VIDEO TRACE_JSON [FPS]   (see check_export.sh)"""
import fractions
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from continuous_mamba import ContinuousAdapter  # noqa: E402
from footage import Embedder  # noqa: E402


def main():
    clip_dir, temporal, video, trace_path = sys.argv[1:5]
    fps = float(sys.argv[5]) if len(sys.argv) > 5 else 4.0
    trace = json.load(open(trace_path))
    adapter = ContinuousAdapter.load(temporal).eval()
    embeddings = torch.tensor(trace["embeddings"])[None]
    times = torch.tensor(trace["times"], dtype=torch.float32)[None]
    with torch.no_grad():
        ours = adapter(embeddings, times)[0]
    gap = (ours - torch.tensor(trace["outputs"])).abs().max().item()
    # Every frame of the video at its own rate, then the ones the daemon sampled, by time.
    rate = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=avg_frame_rate", "-of", "csv=p=0", video], check=True, capture_output=True,
                          text=True).stdout.strip()
    native = float(fractions.Fraction(rate))
    embedder = Embedder(clip_dir, tempfile.mkdtemp(prefix="check-export-"), "cpu", native)
    every = embedder.frames(video)
    frames = every[[min(round(t * native), len(every) - 1) for t in trace["times"]]]
    swift = torch.nn.functional.normalize(torch.tensor(trace["embeddings"]), dim=-1)
    cosine = (frames * swift).sum(-1).min().item()
    print(f"frames {len(trace['times'])} sampled at {fps:g} fps of {native:g}, width {embeddings.shape[-1]}: "
          f"adapter max |Swift - PyTorch| {gap:.2e}, CLIP worst cosine {cosine:.5f}")
    ok = gap <= 1e-4 and cosine >= 0.999
    print("check-export: " + ("ok" if ok else "FAILED"))
    sys.exit(0 if ok else 1)


main()
