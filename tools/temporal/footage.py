"""What the adapter trainer reads: labelled events in the operator's footage,
and the CLIP embeddings of that footage's frames.

Labels are JSONL (one object per line) or CSV (a header row), one event per
row: `file` (a video path, relative to the label file), `start` and `end`
(seconds into the file), `caption` (what happens, as a rule would say it),
optionally `negatives` (phrasings it must not be mistaken for; in CSV joined
by '|') and `reversed` (what the same frames played backwards show, e.g. "a
person gets up" for "a person falls": trained as a negative, and as the
caption of the reversed window). Rows of one file may describe several
events. Background footage (no events, e.g. an empty driveway) is given as
video files: every frame of it must score as a background scene.
"""
import csv
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass, field

import numpy as np
import torch

# Sources/Rules/Prompts.swift: the daemon's prompt templates and background scenes.
TEMPLATES = ["{}", "a photo of {}", "a security camera image of {}", "a video frame showing {}"]
BACKGROUNDS = ["an empty room", "an empty street", "a quiet scene where nothing happens", "a blurry photo",
               "a dark photo at night", "a plain wall"]


@dataclass
class Event:
    file: str
    start: float
    end: float
    caption: str
    negatives: list = field(default_factory=list)
    reversed: str = ""


def read_labels(path):
    """Events of a JSONL or CSV label file; a bad row raises ValueError naming the file and line."""
    base = os.path.dirname(os.path.abspath(path))
    events = []
    with open(path, newline="") as handle:
        if path.endswith(".csv"):
            rows = [(number + 2, row) for number, row in enumerate(csv.DictReader(handle))]
        else:
            rows = []
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        rows.append((number, json.loads(line)))
                    except json.JSONDecodeError as error:
                        raise ValueError(f"{path}:{number}: not a JSON object ({error.msg})") from None
    for line, row in rows:
        try:
            negatives = row.get("negatives") or []
            if isinstance(negatives, str):
                negatives = [n for n in negatives.split("|") if n.strip()]
            event = Event(os.path.join(base, row["file"]), float(row["start"]), float(row["end"]),
                          str(row["caption"]).strip(), [str(n) for n in negatives], str(row.get("reversed") or ""))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path}:{line}: needs file, start, end, caption ({error})") from None
        if not event.caption or not 0 <= event.start < event.end:
            raise ValueError(f"{path}:{line}: an event needs a caption and 0 <= start < end")
        if not os.path.isfile(event.file):
            raise ValueError(f"{path}:{line}: {event.file}: no such video file")
        events.append(event)
    if not events:
        raise ValueError(f"{path}: no events")
    return events


def decode(path, fps, size):
    """Frames of `path` at `fps` as the daemon's Video module makes them for CLIP:
    shortest side resized to `size` (bicubic, swscale's accurate flags), centre crop."""
    flags = "bicubic+accurate_rnd+full_chroma_int"
    scale = f"scale='if(lt(iw,ih),{size},-2)':'if(lt(iw,ih),-2,{size})':flags={flags},crop={size}:{size}"
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", f"fps={fps},{scale}", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, size, size, 3)


class Embedder:
    """CLIP image and text embeddings of a Hugging Face checkpoint, frames cached on disk per file."""

    def __init__(self, clip_dir, cache_dir, device, fps):
        from transformers import CLIPModel, CLIPTokenizer
        self.model = CLIPModel.from_pretrained(clip_dir).to(device).eval()
        self.tokenizer = CLIPTokenizer.from_pretrained(clip_dir)
        processor = json.load(open(os.path.join(clip_dir, "preprocessor_config.json")))
        self.mean = torch.tensor(processor.get("image_mean", [0.48145466, 0.4578275, 0.40821073]))
        self.std = torch.tensor(processor.get("image_std", [0.26862954, 0.26130258, 0.27577711]))
        self.size = self.model.config.vision_config.image_size
        self.device, self.cache_dir, self.fps = device, cache_dir, fps
        self.logit_scale = self.model.logit_scale.exp().item()
        # Cached embeddings belong to one checkpoint: another (or a retrained one) in the same --work
        # must not reuse them.
        weights = sorted(f for f in os.listdir(clip_dir)
                         if f.startswith(("model", "pytorch_model")) and f.endswith((".safetensors", ".bin")))
        self.model_key = os.path.abspath(clip_dir) + "".join(
            f":{f}:{os.stat(os.path.join(clip_dir, f)).st_size}:{os.stat(os.path.join(clip_dir, f)).st_mtime}"
            for f in weights)
        os.makedirs(cache_dir, exist_ok=True)

    @property
    def width(self):
        return self.model.config.projection_dim

    @torch.no_grad()
    def frames(self, path):
        """(frames, width) embeddings of `path` at `self.fps`, L2-normalised, cached per checkpoint and file."""
        stat = os.stat(path)
        key = hashlib.sha1(f"{self.model_key}|{os.path.abspath(path)}:{stat.st_size}:{stat.st_mtime}:{self.fps}"
                           .encode()).hexdigest()
        cached = os.path.join(self.cache_dir, key + ".npy")
        if os.path.exists(cached):
            return torch.from_numpy(np.load(cached))
        pixels = decode(path, self.fps, self.size)
        out = []
        for chunk in range(0, len(pixels), 64):
            x = torch.from_numpy(pixels[chunk:chunk + 64].copy()).float().div(255).permute(0, 3, 1, 2)
            x = (x - self.mean[:, None, None]) / self.std[:, None, None]
            features = self.model.get_image_features(pixel_values=x.to(self.device))
            features = getattr(features, "pooler_output", features)
            out.append(torch.nn.functional.normalize(features.float(), dim=-1).cpu())
        embeddings = torch.cat(out) if out else torch.zeros(0, self.width)
        np.save(cached, embeddings.numpy())
        return embeddings

    @torch.no_grad()
    def texts(self, phrases):
        """Prompt-ensemble embeddings (the daemon's templates, averaged, normalised), one per phrase."""
        out = []
        for phrase in phrases:
            prompts = [t.format(phrase) for t in TEMPLATES]
            tokens = self.tokenizer(prompts, padding=True, return_tensors="pt").to(self.device)
            features = self.model.get_text_features(**tokens)
            features = getattr(features, "pooler_output", features)
            mean = torch.nn.functional.normalize(features.float(), dim=-1).mean(0)
            out.append(torch.nn.functional.normalize(mean, dim=-1).cpu())
        return torch.stack(out)
