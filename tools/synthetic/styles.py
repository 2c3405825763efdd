"""Rendering styles of the synthetic world: how one camera looks.

The world (world.py) says what happens, in a 64x64 coordinate square; a
scene says how a camera films it: the picture size, the background, how big
and how fast things are, blur, noise, lighting drift, camera shake, colour
cast and the H.264 quality the video is stored at. `world.ClassicScene` is
the first renderer (64 px gradients, what the first model was trained on).

Families (drawn by `scene(rng, family)`):
  "train"     the randomised world a model is trained on: a background family
              (gradient, texture or photograph) and every other parameter
              drawn from the TRAIN ranges below, per clip or camera video;
  "held-out"  HELD_OUT: one whole style no training run sees. Its background
              family (frames of a real street video, moving people and all)
              exists only here, and its parameters are fixed. Committed before
              the first training run on the randomised world and not changed
              afterwards: a figure on it is a figure on pixels never seen.

Photographs and the video come from Debian's opencv-doc package (OpenCV's
sample data; Debian's copyright file puts it under Apache-2.0 AND
BSD-3-Clause): `photos.sh` unpacks it into bench-out/ and writes each file's
provenance (package, version, sha256, licence). Nothing of it is committed.
Pure numpy plus the ffmpeg CLI (to decode the pictures), so Debian's python3
runs it; deterministic for a given numpy Generator.
"""
import json
import math
import os
import subprocess

import numpy as np

import world

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench-out", "opencv-doc")
DATA = "usr/share/doc/opencv-doc/examples/data"

# Photographs of the "photo" family (training only). Chosen for being scenes or
# surfaces a camera might see; calibration targets, text and logos are left out.
TRAIN_PHOTOS = ("aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "basketball1.png",
                "board.jpg", "building.jpg", "butterfly.jpg", "fruits.jpg", "graf1.png", "home.jpg",
                "leuvenA.jpg", "messi5.jpg", "orange.jpg", "rubberwhale1.png", "smarties.png",
                "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg")
# The held-out style's background: a fixed street camera (people walking by).
HELD_OUT_VIDEO = "vtest.avi"

# Parameter ranges of the training families (uniform unless a list).
TRAIN = {
    "families": {"gradient": 0.2, "texture": 0.35, "photo": 0.45},
    "sizes": [48, 64, 80, 96, 128, 160, 192, 224, 256],  # square pictures, px
    "scale": (0.4, 1.1),  # object radius factor: objects 5-40 % of the frame
    "pace": (0.6, 1.6),  # action duration factor (1.25-2.5 s at 1)
    "blur": (0.0, 1.5, 0.4),  # Gaussian sigma in world px (of 64); share of sharp scenes
    "crf": (16, 34),
    "noise": (1.0, 12.0),  # per-pixel Gaussian noise, 0-255
    "brightness": (0.6, 1.15),
    "light_swing": (0.0, 0.25),  # slow lighting drift: relative amplitude
    "light_period": (4.0, 30.0),  # seconds
    "shake": (0.3, 2.5, 0.5),  # amplitude in world px; share of steady cameras
    "shake_hz": (0.3, 2.0),
    "cast": (0.85, 1.15),  # per-channel gain
}

HELD_OUT = {
    "family": "video", "size": 112, "scale": (0.5, 1.0), "pace": (0.8, 1.3), "blur": 0.6, "crf": 28,
    "noise": 4.0, "brightness": 0.75, "light_swing": 0.1, "light_period": 20.0, "shake": 0.0, "shake_hz": 0.0,
    "cast": (1.0, 1.0, 1.0),
}


def scene(rng, family):
    """A new camera look of `family` ("classic", "train" or "held-out")."""
    if family == "classic":
        return world.ClassicScene(rng)
    if family == "train":
        return StyledScene(rng, draw_train(rng))
    if family == "held-out":
        p = dict(HELD_OUT)
        p["scale"], p["pace"] = rng.uniform(*HELD_OUT["scale"]), rng.uniform(*HELD_OUT["pace"])
        return StyledScene(rng, p)
    raise ValueError(f"unknown style family {family!r} (classic, train, held-out)")


def draw_train(rng):
    r = TRAIN
    names, weights = list(r["families"]), np.array(list(r["families"].values()))
    blur_low, blur_high, sharp = r["blur"]
    shake_low, shake_high, steady = r["shake"]
    return {
        "family": names[rng.choice(len(names), p=weights / weights.sum())],
        "size": int(r["sizes"][rng.integers(0, len(r["sizes"]))]),
        "scale": rng.uniform(*r["scale"]), "pace": rng.uniform(*r["pace"]),
        "blur": 0.0 if rng.random() < sharp else rng.uniform(blur_low, blur_high),
        "crf": int(rng.integers(r["crf"][0], r["crf"][1] + 1)), "noise": rng.uniform(*r["noise"]),
        "brightness": rng.uniform(*r["brightness"]), "light_swing": rng.uniform(*r["light_swing"]),
        "light_period": rng.uniform(*r["light_period"]),
        "shake": 0.0 if rng.random() < steady else rng.uniform(shake_low, shake_high),
        "shake_hz": rng.uniform(*r["shake_hz"]), "cast": tuple(rng.uniform(*r["cast"], 3)),
    }


class StyledScene:
    """Paints world objects over a background at the scene's size and degradations."""

    def __init__(self, rng, params):
        self.params = params
        self.size, self.scale, self.pace, self.crf = params["size"], params["scale"], params["pace"], params["crf"]
        self.unit = self.size / world.SIZE  # px per world unit
        # The background is drawn larger than the picture so that shake pans over it.
        self.margin = int(math.ceil(params["shake"] * self.unit)) + 1
        side = self.size + 2 * self.margin
        self.background = BACKGROUNDS[params["family"]](rng, side)
        self.phase = rng.uniform(0, 2 * math.pi, 3)
        self.frame = 0

    def describe(self):
        """The parameters, for manifests (JSON-ready)."""
        return {k: (round(v, 3) if isinstance(v, float) else [round(x, 3) for x in v] if isinstance(v, tuple) else v)
                for k, v in self.params.items()}

    def paint(self, rng, objects):
        """objects: (shape, colour, cx, cy, r, alpha) in world units -> uint8 (size, size, 3)."""
        p, t = self.params, self.frame / world.FPS
        self.frame += 1
        dx, dy = self.shake(rng, t)
        m, s = self.margin, self.size
        image = self.background.at(self.frame - 1)[m + dy:m + dy + s, m + dx:m + dx + s].astype(np.float32)
        light = p["brightness"] * (1 + p["light_swing"] * math.sin(2 * math.pi * t / p["light_period"] + self.phase[2]))
        cast = np.array(p["cast"], np.float32) * light
        image *= cast
        for shape, colour, cx, cy, r, alpha in objects:
            if r <= 0.25 or alpha <= 0:
                continue
            box = coverage(shape, (cx * self.unit) - dx, (cy * self.unit) - dy, r * self.unit, s)
            if box is None:
                continue
            rows, columns, share = box
            a = (alpha * share)[..., None]
            image[rows, columns] = image[rows, columns] * (1 - a) + np.array(world.COLOURS[colour], np.float32) * cast * a
        if p["blur"] > 0:
            image = gaussian_blur(image, p["blur"] * self.unit)
        image += rng.standard_normal(image.shape, dtype=np.float32) * np.float32(p["noise"])
        return np.clip(image, 0, 255).astype(np.uint8)

    def shake(self, rng, t):
        """Camera offset in px: two slow sinusoids plus a little jitter (a mast in the wind)."""
        p = self.params
        if p["shake"] <= 0:
            return 0, 0
        amplitude = p["shake"] * self.unit
        wobble = [math.sin(2 * math.pi * p["shake_hz"] * t + self.phase[i]) for i in range(2)]
        jitter = rng.normal(0, 0.25, 2)
        return tuple(int(np.clip(round(amplitude * (0.8 * w + 0.2 * j)), -self.margin + 1, self.margin - 1))
                     for w, j in zip(wobble, jitter))


def coverage(shape, cx, cy, r, size):
    """(rows, columns, share of each pixel the shape covers) inside the shape's bounding box;
    2x2 supersampling anti-aliases the edges. None when the shape is out of the picture."""
    top, bottom = max(0, int(cy - r - 2)), min(size, int(cy + r + 3))
    left, right = max(0, int(cx - r - 2)), min(size, int(cx + r + 3))
    if top >= bottom or left >= right:
        return None
    y, x = np.mgrid[top * 2:bottom * 2, left * 2:right * 2].astype(np.float32)
    fine = world.inside(shape, x, y, cx * 2 + 0.5, cy * 2 + 0.5, r * 2).astype(np.float32)
    share = fine.reshape(bottom - top, 2, right - left, 2).mean(axis=(1, 3))
    return slice(top, bottom), slice(left, right), share


def gaussian_blur(image, sigma):
    """Gaussian blur approximated by two box blurs per axis (running sums, edge padding):
    the cost does not grow with sigma, which reaches 6 px on 256 px pictures."""
    width = max(1, int(round(math.sqrt(6 * sigma * sigma + 1))) // 2 * 2 + 1)
    k = width // 2
    for axis in (0, 1):
        a = np.ascontiguousarray(np.moveaxis(image, axis, 0))
        for _ in range(2):
            padded = np.concatenate([np.repeat(a[:1], k + 1, 0), a, np.repeat(a[-1:], k, 0)])
            sums = np.cumsum(padded, axis=0, dtype=np.float32)
            a = (sums[width:] - sums[:len(a)]) / width
        image = np.moveaxis(a, 0, axis)
    return image


def resize(image, height, width):
    """Bilinear resize of an (H, W, C) float array (numpy only)."""
    def axis_weights(n_in, n_out):
        pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        low = np.floor(pos).astype(int)
        high = np.minimum(low + 1, n_in - 1)
        return low, high, (pos - low).astype(np.float32)

    lo, hi, f = axis_weights(image.shape[0], height)
    rows = image[lo] * (1 - f)[:, None, None] + image[hi] * f[:, None, None]
    lo, hi, f = axis_weights(image.shape[1], width)
    return rows[:, lo] * (1 - f)[None, :, None] + rows[:, hi] * f[None, :, None]


# Backgrounds: `at(frame)` -> (side, side, 3) float32.

class Still:
    def __init__(self, image):
        self.image = image.astype(np.float32)

    def at(self, frame):
        return self.image


def dark_colour(rng, low=10, high=140):
    return rng.integers(low, high, 3).astype(np.float32)


def gradient(rng, side):
    a, b = dark_colour(rng, 10, 110), dark_colour(rng, 10, 110)
    ramp = np.linspace(0, 1, side, dtype=np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    t = np.clip(0.5 + (ramp[None, :] - 0.5) * math.cos(angle) + (ramp[:, None] - 0.5) * math.sin(angle), 0, 1)
    return Still(a + (b - a) * t[..., None])


def texture(rng, side):
    """Stripes, checks, bricks or soft blobs in two or more dark colours."""
    a, b = dark_colour(rng), dark_colour(rng)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side * world.SIZE  # world units
    kind = rng.integers(0, 4)
    if kind == 0:  # stripes
        angle, period = rng.uniform(0, math.pi), rng.uniform(3, 16)
        t = 0.5 + 0.5 * np.sin(2 * math.pi * (x * math.cos(angle) + y * math.sin(angle)) / period)
    elif kind == 1:  # checks
        period = rng.uniform(3, 16)
        t = ((np.floor(x / period) + np.floor(y / period)) % 2).astype(np.float32)
    elif kind == 2:  # bricks: rows of blocks, mortar lines, every other row shifted
        height, width = rng.uniform(3, 10), rng.uniform(6, 20)
        row = np.floor(y / height)
        u = (x + (row % 2) * width / 2) % width
        t = ((u < 0.8) | ((y % height) < 0.8)).astype(np.float32)
    else:  # blobs: a coarse random grid, smoothly enlarged, per channel
        cells = int(rng.integers(3, 9))
        grid = rng.uniform(0, 1, (cells, cells, 3)).astype(np.float32)
        return Still(a + (b - a) * resize(grid, side, side) + rng.uniform(-15, 15))
    return Still(a + (b - a) * t[..., None])


_pictures = {}


def picture(name, fps=None):
    """A file of the opencv-doc sample data, decoded by ffmpeg (cached): (frames, H, W, 3) uint8."""
    key = (name, fps)
    if key not in _pictures:
        path = os.path.join(SOURCE, DATA, name)
        if not os.path.exists(path):
            raise SystemExit(f"{path}: missing; run tools/synthetic/photos.sh first (unpacks Debian's opencv-doc)")
        probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                "stream=width,height", "-of", "json", path], check=True, capture_output=True)
        info = json.loads(probe.stdout)["streams"][0]
        width, height = info["width"], info["height"]
        command = ["ffmpeg", "-v", "error", "-i", path] + (["-vf", f"fps={fps}"] if fps else []) + [
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        raw = subprocess.run(command, check=True, capture_output=True).stdout
        _pictures[key] = np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)
    return _pictures[key]


def square_crop(rng, height, width, least):
    side = int(min(height, width) * rng.uniform(least, 1.0))
    return int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1)), side


def photo(rng, side):
    """A random square crop of a training photograph, flipped at random, dimmed."""
    image = picture(TRAIN_PHOTOS[rng.integers(0, len(TRAIN_PHOTOS))])[0]
    top, left, crop = square_crop(rng, *image.shape[:2], 0.35)
    out = resize(image[top:top + crop, left:left + crop].astype(np.float32), side, side)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return Still(out * rng.uniform(0.45, 0.9))


class Video:
    """Frames of the held-out street video from a random moment, one per painted frame (ping-pong at the ends)."""

    def __init__(self, rng, side):
        self.frames = picture(HELD_OUT_VIDEO, fps=world.FPS)
        self.crop = square_crop(rng, *self.frames.shape[1:3], 0.6)
        self.start, self.side = int(rng.integers(0, len(self.frames))), side

    def at(self, frame):
        n = len(self.frames)
        k = (self.start + frame) % (2 * n - 2)
        top, left, crop = self.crop
        image = self.frames[k if k < n else 2 * n - 2 - k, top:top + crop, left:left + crop]
        return resize(image.astype(np.float32), self.side, self.side)


BACKGROUNDS = {"gradient": gradient, "texture": texture, "photo": photo, "video": Video}
