"""Training footage as the daemon sees it: clips and camera videos of the
synthetic world in a style (styles.py), stored as H.264 at the scene's quality
and read back through FFmpeg at the model's input size with the daemon's
swscale flags, rendered on every core.

Each clip or video has its own seed (base seed, index), so the footage does not
depend on how many processes render it. Pure numpy plus the ffmpeg CLI.
"""
import multiprocessing
import os
import subprocess

import numpy as np

import styles
import world

# The Video module's swscale flags (Sources/Video/FrameConverter.swift), so pixels match.
SWS_FLAGS = "bicubic+accurate_rnd+full_chroma_int"


def through_camera(frames, crf, size=world.SIZE):
    """(N, H, W, 3) uint8 -> H.264 at `crf` -> decoded and scaled to (N, size, size, 3)."""
    frames = np.ascontiguousarray(frames)
    height, width = frames.shape[1:3]
    encode = ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
              "-r", str(world.FPS), "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
              "-g", str(world.FPS * 2), "-bf", "0", "-pix_fmt", "yuv420p", "-x264-params", "threads=1",
              "-f", "h264", "-"]
    decode = ["ffmpeg", "-v", "error", "-f", "h264", "-i", "-", "-sws_flags", SWS_FLAGS,
              "-vf", f"scale={size}:{size}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    video = subprocess.run(encode, input=frames.tobytes(), check=True, capture_output=True).stdout
    raw = subprocess.run(decode, input=video, check=True, capture_output=True).stdout
    out = np.frombuffer(raw, np.uint8).reshape(-1, size, size, 3)
    if len(out) != len(frames):
        raise RuntimeError(f"through_camera: {len(frames)} frames in, {len(out)} out")
    return out


def _clip(job):
    seed, index, style, split = job
    rng = np.random.default_rng([seed, index])
    scene = styles.scene(rng, style)
    clip = world.make_clip(rng, split, scene)
    clip["frames"] = through_camera(clip["frames"], scene.crf)
    return clip


def _video(job):
    seed, index, style, split, seconds = job
    rng = np.random.default_rng([seed, index])
    scene = styles.scene(rng, style)
    frames, events, states = world.long_video(rng, seconds, split, scene)
    return through_camera(np.stack(frames), scene.crf), events, states, scene.describe()


def _map(function, jobs, log, label):
    out = []
    with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool:
        for i, item in enumerate(pool.imap(function, jobs, chunksize=4)):
            out.append(item)
            if log and ((i + 1) % max(1, len(jobs) // 10) == 0 or i + 1 == len(jobs)):
                log(f"  {label}: {i + 1}/{len(jobs)}")
    return out


def clips(seed, count, style, split="train", log=None):
    """`count` clip records (world.make_clip) whose frames are what the daemon would decode."""
    return _map(_clip, [(seed, i, style, split) for i in range(count)], log, f"{style} clips")


def videos(seed, count, seconds, style, split="train", log=None):
    """`count` camera videos: (frames as decoded, events, object states, style description)."""
    return _map(_video, [(seed, i, style, split, seconds) for i in range(count)], log, f"{style} camera videos")
