"""Training footage as the daemon sees it: clips and camera videos of the
synthetic world in a style (styles.py), encoded as H.264 at the scene's quality
and decoded and scaled to the model's input size with bicubic swscale, as the
daemon reads a camera; rendered on every core.

PyAV (FFmpeg in-process, its own build from PyPI) rather than the ffmpeg CLI:
two ffmpeg processes per clip cost ~0.3 s of start-up, more than rendering the
clip. The evaluation videos are written by Debian's ffmpeg (generate.py) and
read by the daemon's own decoder.

Each clip or video has its own seed (base seed, index), so the footage does not
depend on how many processes render it.
"""
import fractions
import multiprocessing
import os

import av
import numpy as np

import styles
import world


def through_camera(frames, crf, size=world.SIZE):
    """(N, H, W, 3) uint8 -> H.264 at `crf` (a keyframe every 2 s, no B-frames) -> decoded, (N, size, size, 3)."""
    height, width = frames.shape[1:3]
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = fractions.Fraction(1, world.FPS)
    encoder.options = {"crf": str(crf), "preset": "veryfast", "g": str(world.FPS * 2), "bf": "0", "threads": "1"}
    packets = []
    for i, frame in enumerate(frames):
        picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24").reformat(format="yuv420p")
        picture.pts = i
        packets += encoder.encode(picture)
    packets += encoder.encode(None)
    decoder = av.CodecContext.create("h264", "r")
    out = []
    for packet in packets + [None]:
        for picture in decoder.decode(packet):
            out.append(picture.to_ndarray(width=size, height=size, format="rgb24", interpolation="BICUBIC"))
    if len(out) != len(frames):
        raise RuntimeError(f"through_camera: {len(frames)} frames in, {len(out)} out")
    return np.stack(out)


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
    return through_camera(np.stack(frames), scene.crf), events, states


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
    """`count` camera videos: (frames as decoded, events, object states)."""
    return _map(_video, [(seed, i, style, split, seconds) for i in range(count)], log, f"{style} camera videos")
