#!/usr/bin/env python3
"""train-adapter: teaches monitor's temporal adapter (the recurrent Mamba that
`[model] temporal` loads) the events of the operator's own cameras, for any
Hugging Face CLIP checkpoint. The CLIP towers stay frozen; only the adapter
(r = e + tanh(g) * Mamba(LayerNorm(e)), ~16k parameters at width 64, ~1.6M
at 512) learns.

Training is stream training, as the daemon runs: a window of footage is
stepped frame by frame in continuous time (tools/temporal/continuous_mamba.py,
which equals the daemon's step) at an irregular rate: each window draws a
camera rate between --min-interval and --max-interval, the intervals jitter,
frames drop, and now and then a gap of seconds opens (a motion gate). At
every frame from half a second into a labelled event until a second after
it, the adapter's output must prefer the event's caption over every other
caption, the row's negatives and reversal, and the daemon's background
scenes (the contrasts of every rule's calibrated score); from 2.5 s after
an event (and on background footage) it must prefer the background scenes.
Rows with a `reversed` caption are also trained played backwards, as that
caption. --init starts from an exported adapter; --keep then also holds its
outputs where it already works (footage at its own steady rate) while the
new one learns the other rates.

Checkpoints every --checkpoint-every steps into --work (resumed with
--resume); frame embeddings are cached there. Reports event precision and
recall on --validation labels (the daemon's score, 0.75 s median smoothing,
threshold 0.5, an episode matching an event when it starts between the
event's start and 2 s after its end) and order-swap (a caption's score read
at the end of its event's clip beats the same clip played backwards), and
exports the safetensors `[model] temporal` loads.

Usage: tools/train-adapter --clip DIR --labels FILE [--validation FILE] --out temporal.safetensors
"""
import argparse
import json
import math
import os
import platform
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from continuous_mamba import ContinuousAdapter  # noqa: E402
from footage import BACKGROUNDS, Embedder, read_labels  # noqa: E402

ACTIVE_FROM, ACTIVE_UNTIL, IDLE_AFTER = 0.5, 1.0, 2.5  # seconds, relative to an event's start / end
SMOOTHING = 0.75  # seconds: the daemon's median window (Sources/Rules/CalibratedScore.swift)


def log(message):
    print(message, file=sys.stderr, flush=True)


class Progress:
    """One self-rewriting line on a terminal, a line every tenth of the work otherwise."""

    def __init__(self, total, label):
        self.total, self.label, self.started, self.tty = total, label, time.time(), sys.stderr.isatty()
        self.last_tenth = -1

    def update(self, done, note=""):
        elapsed = time.time() - self.started
        eta = elapsed / max(done, 1) * (self.total - done)
        line = f"{self.label} {done}/{self.total} {note} ({elapsed / 60:.1f} min, ~{eta / 60:.1f} min left)"
        if self.tty:
            print("\r" + line + " " * 4, end="" if done < self.total else "\n", file=sys.stderr, flush=True)
        elif done * 10 // self.total != self.last_tenth or done == self.total:
            self.last_tenth = done * 10 // self.total
            log(line)


def seeded_labels(args):
    """Seeds Python's and PyTorch's generators with --seed; the --labels and --validation events (one line
    naming the file and row of a bad label, then exit)."""
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    try:
        return read_labels(args.labels), read_labels(args.validation) if args.validation else []
    except (OSError, ValueError) as error:
        sys.exit(f"train-adapter: {error}")


class Optimisation:
    """AdamW under a one-cycle schedule, with the checkpoint in --work that --resume continues from
    (every --checkpoint-every steps and at the end); both trainers use it."""

    def __init__(self, model, args, name):
        self.model, self.args = model, args
        self.optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(self.optimiser, args.lr, total_steps=args.steps,
                                                            pct_start=0.1)
        self.path = os.path.join(args.work, name)

    def resume(self):
        """The step to start from: 0, or the checkpoint's with --resume (its model, optimiser and random states)."""
        if not (self.args.resume and os.path.exists(self.path)):
            return 0
        state = torch.load(self.path, weights_only=False)
        self.model.load_state_dict(state["model"])
        self.optimiser.load_state_dict(state["optimiser"])
        self.schedule.load_state_dict(state["schedule"])
        random.setstate(state["random"])
        torch.set_rng_state(state["torch"])
        log(f"train-adapter: resumed at step {state['step']}")
        return state["step"]

    def step(self, loss, step):
        """One optimiser step on `loss` (None: nothing asked in this batch, the schedule still moves)."""
        if loss is not None:
            self.optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimiser.step()
        self.schedule.step()
        if (step + 1) % self.args.checkpoint_every == 0 or step + 1 == self.args.steps:
            torch.save({"model": self.model.state_dict(), "optimiser": self.optimiser.state_dict(),
                        "schedule": self.schedule.state_dict(), "random": random.getstate(),
                        "torch": torch.get_rng_state(), "step": step + 1}, self.path + ".tmp")
            os.replace(self.path + ".tmp", self.path)


class Dataset:
    """Frame embeddings of every labelled and background file, and each frame's target."""

    def __init__(self, events, backgrounds, embedder):
        self.captions = sorted({e.caption for e in events} | {e.reversed for e in events if e.reversed}
                               | {n for e in events for n in e.negatives})
        self.index = {c: i for i, c in enumerate(self.captions)}
        self.text = embedder.texts(self.captions + BACKGROUNDS)
        self.fps = embedder.fps
        self.files = {}
        for path in sorted({e.file for e in events} | set(backgrounds)):
            self.files[path] = embedder.frames(path)
        # Each file's mean frame: what its scene looks like on average (--look-shift).
        self.means = {path: frames.mean(0) for path, frames in self.files.items()}
        self.events = {path: [e for e in events if e.file == path] for path in self.files}

    def targets(self, path, times, backwards=False):
        """Per frame: a caption index (an event is on), -1 (background), or -2 (not asked)."""
        out = np.full(len(times), -2)
        events = self.events[path]
        for i, t in enumerate(times):
            if not events:
                out[i] = -1
                continue
            active = [e for e in events if e.start + ACTIVE_FROM <= t <= e.end + ACTIVE_UNTIL]
            if backwards:  # time runs the other way: an event "starts" at its end
                active = [e for e in events if e.reversed and e.start - ACTIVE_UNTIL <= t <= e.end - ACTIVE_FROM]
            if active:
                out[i] = self.index[active[0].reversed if backwards else active[0].caption]
            elif all(t >= e.end + IDLE_AFTER or t <= e.start - IDLE_AFTER for e in events):
                out[i] = -1
        return out


def sample_times(rng, duration, args, interval=None):
    """Irregular frame times over [0, duration): a camera rate, jitter, dropped frames, gaps;
    with `interval`, frames exactly that far apart."""
    if interval is not None:
        return [i * interval for i in range(int(duration / interval))]
    base = math.exp(rng.uniform(math.log(args.min_interval), math.log(args.max_interval)))
    times, t = [], rng.uniform(0, base)
    while t < duration:
        times.append(t)
        step = base * max(0.5, 1 + rng.gauss(0, 0.05))
        if rng.random() < 0.1:
            step += base  # a dropped frame
        if rng.random() < 0.02:
            step += rng.uniform(1, 8)  # a motion gate holding still frames back
        t += step
    return times


def window(dataset, rng, args, interval=None):
    """One training window: (embeddings (L, d), times (L), targets (L)); `interval`: a steady rate."""
    path = rng.choice(list(dataset.files))
    frames = dataset.files[path]
    duration = len(frames) / dataset.fps
    length = min(duration, args.window)
    events = dataset.events[path]
    backwards = bool(events) and any(e.reversed for e in events) and rng.random() < 0.5 and interval is None
    if events and rng.random() < 0.8:  # around an event, with what came before it
        candidates = [e for e in events if e.reversed] if backwards else events
        event = rng.choice(candidates)
        begin = min(max(0, event.start - rng.uniform(1, length - (event.end - event.start) - 1)), duration - length)
    else:
        begin = rng.uniform(0, duration - length)
    begin = max(0.0, begin)
    local = sample_times(rng, length, args, interval)
    absolute = [begin + t for t in local]
    if backwards:  # the same frames played backwards, timed forwards
        absolute = absolute[::-1]
    indices = [min(int(round(t * dataset.fps)), len(frames) - 1) for t in absolute]
    targets = dataset.targets(path, absolute, backwards)
    embeddings = frames[indices]
    if rng.random() < args.look_shift:
        # Another camera's look: the whole window moved by the difference of two files' mean frames,
        # so that what tells an event apart must be how the frames change, not what they show.
        other = rng.choice(list(dataset.files))
        embeddings = F.normalize(embeddings + dataset.means[other] - dataset.means[path], dim=-1)
    return embeddings, torch.tensor(local, dtype=torch.float32), torch.from_numpy(targets)


def padded(batch, device):
    """Windows of several lengths as (B, L) tensors: padding frames far in the future, never asked."""
    embeddings = torch.nn.utils.rnn.pad_sequence([b[0] for b in batch], batch_first=True).to(device)
    times = torch.stack([F.pad(b[1], (0, embeddings.shape[1] - len(b[1])), value=float(b[1][-1])) + 1e3 * (
        torch.arange(embeddings.shape[1]) >= len(b[1])) for b in batch]).to(device)
    targets = torch.stack([F.pad(b[2], (0, embeddings.shape[1] - len(b[2])), value=-2) for b in batch]).to(device)
    return embeddings, times, targets


def keep_loss(adapter, teacher, batch, device):
    """How far the adapter's outputs moved from the --init adapter's, on windows at the latter's own
    steady rate (1 - cosine, averaged over real frames): what it knew there is kept while it learns
    the other rates."""
    embeddings, times, _ = padded(batch, device)
    real = torch.arange(embeddings.shape[1], device=device)[None] < torch.tensor([len(b[0]) for b in batch],
                                                                               device=device)[:, None]
    with torch.no_grad():
        wanted = teacher(embeddings, times)
    moved = 1 - F.cosine_similarity(adapter(embeddings, times), wanted, dim=-1)
    return moved[real].mean()


def loss_of(adapter, batch, dataset, scale, device):
    embeddings, times, targets = padded(batch, device)
    out = F.normalize(adapter(embeddings, times), dim=-1)
    logits = scale * out @ dataset.text.to(device).T  # (B, L, captions + backgrounds)
    captions = len(dataset.captions)
    log_probs = logits.log_softmax(-1)
    asked = targets >= -1
    if not asked.any():
        return None
    positive = targets.clamp(min=0)
    on_event = log_probs.gather(-1, positive[..., None])[..., 0]
    on_background = torch.logsumexp(log_probs[..., captions:], dim=-1)
    per_frame = torch.where(targets >= 0, on_event, on_background)
    return -(per_frame[asked]).mean()


def calibrated(out, text, caption, contrasts, scale):
    """The daemon's score of `caption` on each output row (softmax against `contrasts`)."""
    logits = scale * F.normalize(out, dim=-1) @ text.T
    chosen = [caption] + contrasts
    return logits[:, chosen].softmax(-1)[:, 0]


def median_smoothed(scores, times):
    out = []
    for i, t in enumerate(times):
        recent = [s for s, u in zip(scores[:i + 1], times[:i + 1]) if t - u < SMOOTHING - 1e-6]
        out.append(float(np.median(recent)))
    return out


@torch.no_grad()
def validate(adapter, embedder, events, args, device):
    """Event precision/recall and order-swap on held-out labels, at the nominal rate."""
    dataset = Dataset(events, [], embedder)
    scale, captions = embedder.logit_scale, len(dataset.captions)
    background = list(range(captions, captions + len(BACKGROUNDS)))
    step = max(1, round(args.nominal_interval * dataset.fps))
    tp = fp = missed = 0
    wins = swaps = 0
    per_caption = {}
    for path, frames in dataset.files.items():
        frames = frames[::step].to(device)
        times = torch.arange(len(frames), dtype=torch.float32)[None] * step / dataset.fps
        out = adapter(frames[None], times.to(device))[0]
        for caption in sorted({e.caption for e in dataset.events[path]}):
            index = dataset.index[caption]
            contrasts = [i for i in range(captions) if i != index] + background
            scores = median_smoothed(calibrated(out, dataset.text.to(device), index, contrasts, scale).tolist(),
                                     times[0].tolist())
            starts, opened, low_since = [], False, None
            for t, s in zip(times[0].tolist(), scores):
                if s >= args.threshold:
                    low_since = None
                    if not opened:
                        starts.append(t)
                        opened = True
                elif opened:
                    low_since = low_since if low_since is not None else t
                    if t - low_since >= 2:
                        opened = False
            truth = [e for e in dataset.events[path] if e.caption == caption]
            used = set()
            for start in starts:
                match = [i for i, e in enumerate(truth) if i not in used and e.start <= start <= e.end + 2]
                if match:
                    used.add(match[0])
                else:
                    fp += 1
            tp, missed = tp + len(used), missed + len(truth) - len(used)
            row = per_caption.setdefault(caption, [0, 0])
            row[0], row[1] = row[0] + len(used), row[1] + len(truth)
        for event in dataset.events[path]:  # order-swap on the event's clip
            first = max(0, int((event.start - 2) * dataset.fps / step))
            last = min(len(frames), int(event.end * dataset.fps / step) + 1)
            clip = frames[first:last]
            if len(clip) < 2:
                continue
            clip_times = torch.arange(len(clip), dtype=torch.float32)[None].to(device) * step / dataset.fps
            index = dataset.index[event.caption]
            contrasts = [i for i in range(captions) if i != index] + background
            forward = calibrated(adapter(clip[None], clip_times)[0][-1:], dataset.text.to(device), index, contrasts,
                                 scale)
            backward = calibrated(adapter(clip.flip(0)[None], clip_times)[0][-1:], dataset.text.to(device), index,
                                  contrasts, scale)
            swaps += 1
            wins += int(forward.item() > backward.item())
    return {"events": tp + missed, "episodes": tp + fp, "precision": tp / max(tp + fp, 1),
            "recall": tp / max(tp + missed, 1), "order_swap": wins / max(swaps, 1), "order_clips": swaps,
            "threshold": args.threshold,
            "recall_per_caption": {c: found / total for c, (found, total) in per_caption.items()}}


def export(adapter, path, args, embedder, report, events, started):
    from safetensors.torch import save_file
    metadata = {"layer_norm_eps": str(adapter.norm.eps), "nominal_interval": str(args.nominal_interval),
                "min_interval": str(args.min_interval), "max_interval": str(args.max_interval),
                "d_model": str(adapter.config.d_model), "clip": os.path.basename(os.path.normpath(args.clip)),
                "trained_by": "tools/train-adapter", "steps": str(args.steps), "events": str(len(events)),
                "wall_seconds": str(round(time.time() - started)),
                "torch": torch.__version__, "python": platform.python_version()}
    if report:
        metadata["validation"] = json.dumps({k: v for k, v in report.items() if k != "recall_per_caption"})
    save_file(adapter.tensors(), path, metadata=metadata)


def initial_adapter(path, width):
    """The exported adapter --init names, refused in one line when it cannot start this one."""
    from safetensors import SafetensorError
    try:
        initial = ContinuousAdapter.load(path)
    except (OSError, SafetensorError, ValueError, KeyError, RuntimeError) as error:
        sys.exit(f"train-adapter: --init {path}: not an exported adapter ({' '.join(str(error).split())})")
    if initial.config.d_model != width:
        sys.exit(f"train-adapter: --init {path}: width {initial.config.d_model}, "
                 f"but this CLIP's embeddings are {width} wide")
    return initial


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--clip", required=True, help="Hugging Face CLIP directory (the one [model] clip names)")
    parser.add_argument("--labels", required=True, help="training events, JSONL or CSV")
    parser.add_argument("--validation", help="held-out events, JSONL or CSV: the report's precision/recall/order-swap")
    parser.add_argument("--background", nargs="*", default=[], help="video files with no event in them")
    parser.add_argument("--out", required=True, help="the temporal.safetensors to write")
    parser.add_argument("--work", default=".train-adapter", help="embedding cache and checkpoints")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --work")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--window", type=float, default=12.0, help="seconds of footage per training window")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--nominal-interval", type=float, default=0.25, help="seconds between frames the "
                        "adapter's dt is calibrated at (a camera without fps samples at its inverse)")
    parser.add_argument("--min-interval", type=float, default=0.125, help="shortest frame interval trained")
    parser.add_argument("--max-interval", type=float, default=1.0, help="longest frame interval trained")
    parser.add_argument("--threshold", type=float, default=0.5, help="validation: the rules' threshold")
    parser.add_argument("--look-shift", type=float, default=0.0, help="share of windows moved to another "
                        "file's look (the difference of the two files' mean frame embeddings)")
    parser.add_argument("--init", help="start from this exported temporal.safetensors (same width) instead of "
                        "fresh weights: e.g. an adapter trained at one rate, taught here to run at any")
    parser.add_argument("--keep", type=float, default=0.0, help="with --init: weight of a loss that keeps the "
                        "outputs of the --init adapter on footage at its own steady rate (0: off)")
    parser.add_argument("--checkpoint-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    if args.steps < 20:
        parser.error("--steps: at least 20 (the learning-rate schedule warms up over the first tenth)")
    if args.keep and not args.init:
        parser.error("--keep keeps what the --init adapter does: give --init")
    if args.keep < 0:
        parser.error("--keep is a loss weight, 0 or more")
    if not 0 <= args.look_shift <= 1:
        parser.error("--look-shift is a share of windows, between 0 and 1")
    if not 0 < args.min_interval <= args.nominal_interval <= args.max_interval:
        parser.error("need 0 < --min-interval <= --nominal-interval <= --max-interval")
    started = time.time()
    events, held_out = seeded_labels(args)
    for path in args.background:
        if not os.path.isfile(path):
            sys.exit(f"train-adapter: {path}: no such background video")
    fps = 1 / args.min_interval
    embedder = Embedder(args.clip, os.path.join(args.work, "frames"), args.device, fps)
    initial = initial_adapter(args.init, embedder.width) if args.init else None  # refused before the slow part
    files = sorted({e.file for e in events + held_out} | set(args.background))
    progress = Progress(len(files), "embedding footage:")
    for done, path in enumerate(files, 1):
        embedder.frames(path)
        progress.update(done, os.path.basename(path))
    dataset = Dataset(events, args.background, embedder)
    log(f"train-adapter: {len(events)} events, {len(dataset.captions)} captions, {len(dataset.files)} files, "
        f"width {embedder.width}, device {args.device}")
    adapter = ContinuousAdapter(embedder.width, nominal_interval=args.nominal_interval)
    teacher = None
    if initial is not None:
        adapter.load_tensors(initial.tensors())
        log(f"train-adapter: starting from {args.init}")
        if args.keep:
            teacher = initial.to(args.device).eval().requires_grad_(False)
    adapter = adapter.to(args.device)
    optimisation = Optimisation(adapter, args, "checkpoint.pt")
    first = optimisation.resume()
    rng = random.Random(args.seed * 1000 + first)
    progress = Progress(args.steps, "training:")
    for step in range(first, args.steps):
        loss = loss_of(adapter, [window(dataset, rng, args) for _ in range(args.batch)], dataset,
                       embedder.logit_scale, args.device)
        if teacher is not None:
            kept = keep_loss(adapter, teacher, [window(dataset, rng, args, teacher.nominal_interval)
                                                for _ in range(args.batch // 2)], args.device)
            loss = args.keep * kept if loss is None else loss + args.keep * kept
        optimisation.step(loss, step)
        progress.update(step + 1, f"loss {loss.item() if loss is not None else float('nan'):.3f}")
    adapter.eval()
    report = validate(adapter, embedder, held_out, args, args.device) if held_out else None
    if report:
        log("validation: " + json.dumps(report, indent=1))
    export(adapter, args.out, args, embedder, report, events, started)
    log(f"train-adapter: wrote {args.out} ({(time.time() - started) / 60:.1f} min)")


if __name__ == "__main__":
    main()
