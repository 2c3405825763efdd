#!/usr/bin/env python3
"""Writes the synthetic benchmark's evaluation data: the test split (held-out
colour x action and shape x action combinations) as short H.264 clips with a
manifest, and long "camera" videos that chain actions with idle stretches,
each with a ground-truth list of (start, end, action, caption) events.

Training and validation clips are not written: tools/synthetic draws them from the
same world in memory (same seeds, no held-out combinations).

--style draws each clip's and video's look (styles.py): `classic` (the first
renderer, 64 px), `train` (the randomised world's training families, at
another seed than training's) or `held-out` (the style no training sees).

Usage: generate.py --out DIR [--seed 7] [--test 240] [--long 3] [--long-seconds 60] [--long-split test|val]
                   [--style classic|train|held-out]
Needs numpy and the ffmpeg CLI. Deterministic for a given seed.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import styles  # noqa: E402
import world  # noqa: E402


def encode(frames, path, crf=16):
    """H.264 at 8 fps, a keyframe every 2 s, at the scene's quality (classic: near-lossless)."""
    height, width = frames[0].shape[:2]
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", f"{width}x{height}", "-r", str(world.FPS), "-i", "-", "-c:v", "libx264", "-preset", "medium",
        "-crf", str(crf), "-g", str(world.FPS * 2), "-bf", "0", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
        "-x264-params", "threads=1", path,
    ]
    subprocess.run(command, input=np.stack(frames).tobytes(), check=True)


def test_split(rng, count, out, style):
    clips = []
    os.makedirs(os.path.join(out, "test"), exist_ok=True)
    for i in range(count):
        clip = world.make_clip(rng, "test", styles.scene(rng, style))
        name = f"test/clip-{i:04d}.mp4"
        encode(list(clip.pop("frames")), os.path.join(out, name), clip["style"]["crf"])
        del clip["states"]  # the object's true state per frame: training only
        clip["file"] = name
        clips.append(clip)
        if (i + 1) % 40 == 0:
            print(f"  test clips: {i + 1}/{count}", file=sys.stderr)
    return clips


def long_video(rng, seconds, index, out, split, style):
    scene = styles.scene(rng, style)
    frames, events, _ = world.long_video(rng, seconds, split, scene)
    name = f"long/camera-{index}.mp4"
    os.makedirs(os.path.join(out, "long"), exist_ok=True)
    encode(frames, os.path.join(out, name), scene.crf)
    return {"file": name, "seconds": len(frames) / world.FPS, "events": events, "style": scene.describe()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--test", type=int, default=240, help="test clips")
    parser.add_argument("--long", type=int, default=3, help="long camera videos")
    parser.add_argument("--long-seconds", type=float, default=60)
    parser.add_argument("--long-split", default="test", choices=["test", "val"],
                        help="test: actions are held-out combinations where possible; val: never")
    parser.add_argument("--style", default="classic", choices=["classic", "train", "held-out"])
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    clips = test_split(rng, args.test, args.out, args.style)
    longs = [long_video(rng, args.long_seconds, i, args.out, args.long_split, args.style) for i in range(args.long)]
    manifest = {"seed": args.seed, "fps": world.FPS, "style": args.style, "test": clips, "long": longs}
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wrote {len(clips)} test clips and {len(longs)} long videos to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
