#!/usr/bin/env python3
"""Trains monitor's small default model on the synthetic world (tools/synthetic)
and exports it to models/synthetic. Training footage is rendered in the
randomised world's styles (styles.py, --style) and read back through H.264 at
the model's input size, as the daemon decodes a camera (camera.py):

1. a BPE vocabulary learned from the captions (vocab.json + merges.txt, CLIP layout);
2. a tiny CLIP (Hugging Face CLIPModel) trained contrastively on clips (8 frames
   each) and captions, with an order-neutral clip head (mean of the frames plus a
   learned projection of "second half minus first half") so the text tower learns
   what "falls" and "rises" mean, and on single frames with object captions;
3. on the frozen frame embeddings, three temporal heads trained contrastively on
   clips at 4 fps with the reversed twin caption as an extra negative: meanP (no
   parameters), a causal Transformer head, and monitor's TemporalAdapter (Mamba,
   mambapy, mamba_ssm names).

Writes config.json, model.safetensors, vocab.json, merges.txt,
preprocessor_config.json, temporal.safetensors, metrics.json (test-split figures
from PyTorch on ffmpeg-decoded clips), loss.png, and VERSIONS.txt.
Usage: tools/synthetic/train.sh  (creates the venv, generates the test data, trains)
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from mambapy.mamba import MambaBlock, MambaConfig
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))  # clip_vocab
import world  # noqa: E402
from clip_vocab import learn_merges, write_vocabulary  # noqa: E402
import camera  # noqa: E402
from streams import Streams  # noqa: E402

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
# The daemon's prompt ensemble and background prompts (Sources/MonitorKit/Prompts.swift):
# captions are trained inside these templates so the engine's ensembles mean something.
TEMPLATES = ["{}", "a photo of {}", "a security camera image of {}", "a video frame showing {}"]
BACKGROUNDS = ["an empty room", "an empty street", "a quiet scene where nothing happens", "a blurry photo",
               "a dark photo at night", "a plain wall"]
MODEL_FPS = 4  # frames per second the heads see (every 2nd frame of the 8 fps world)
CONTEXT = 24


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def all_caption_texts():
    """Every caption the world can produce (for the vocabulary)."""
    texts = list(BACKGROUNDS) + [t.format("x") for t in TEMPLATES]
    objects = ["something", "another object", "two objects"]
    for colour in world.COLOURS:
        for shape in world.SHAPES:
            for size in world.SIZES:
                objects += [f"a {size} {colour} {shape}", f"the {colour} {shape}"]
    for action, templates in world.PARAPHRASES.items():
        for template in templates:
            texts += [template.format(o=o, p=o) for o in objects]
    return texts


def static_frame(clip):
    """The frame where the captioned action starts (the object is in view there)."""
    return clip["frames"][min(int(clip["action_start"] * world.FPS), len(clip["frames"]) - 1)]


def static_caption(rng, clip):
    """What `static_frame` shows, or None (not a single-object clip, or the object is not in view yet)."""
    if clip["action"] in ("enters", "appears", "nothing") or clip["colour"] is None:
        return None
    name = world.object_phrase(rng, clip["size"], clip["colour"], clip["shape"])
    if clip["other"]:
        name += f" and a {clip['other'][0]} {clip['other'][1]}"
    return name


def templated(rng, text):
    return TEMPLATES[rng.integers(0, len(TEMPLATES))].format(text)


class Tokens:
    def __init__(self, directory):
        self.tokenizer = CLIPTokenizer.from_pretrained(directory)

    def __call__(self, texts):
        t = self.tokenizer(texts, padding="max_length", max_length=CONTEXT, truncation=True, return_tensors="pt")
        return t["input_ids"], t["attention_mask"]


def pixels(frames):
    """uint8 (..., H, W, 3) -> normalised (N, 3, H, W) float."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float().div(255)
    x = (x - torch.tensor(MEAN)) / torch.tensor(STD)
    return x.reshape(-1, *x.shape[-3:]).permute(0, 3, 1, 2).contiguous()


def features(output):
    return output if isinstance(output, torch.Tensor) else output.pooler_output


def embed_images(model, frames):
    return F.normalize(features(model.get_image_features(pixel_values=pixels(frames))), dim=-1)


def embed_texts(model, tokens, texts):
    ids, mask = tokens(texts)
    return F.normalize(features(model.get_text_features(input_ids=ids, attention_mask=mask)), dim=-1)


def ensemble(model, tokens, captions, batch=256):
    """The engine's text embedding: mean over the templates, normalised."""
    out = []
    with torch.no_grad():
        for i in range(0, len(captions), batch):
            chunk = captions[i:i + batch]
            e = torch.stack([embed_texts(model, tokens, [t.format(c) for c in chunk]) for t in TEMPLATES]).mean(0)
            out.append(F.normalize(e, dim=-1))
    return torch.cat(out)


def info_nce(a, b, scale, extra_b=None):
    """Symmetric contrastive loss; extra_b: more text candidates for a's rows (hard negatives)."""
    candidates = b if extra_b is None else torch.cat([b, extra_b])
    logits = scale * a @ candidates.T
    target = torch.arange(len(a))
    return (F.cross_entropy(logits, target) + F.cross_entropy(scale * b @ a.T, target)) / 2


# ---------------------------------------------------------------- stage 1: CLIP


class NeutralHead(torch.nn.Module):
    """Order-aware but favouring no temporal architecture: mean + W (late - early)."""

    def __init__(self, d):
        super().__init__()
        self.diff = torch.nn.Linear(d, d, bias=False)
        torch.nn.init.zeros_(self.diff.weight)

    def forward(self, e):  # (B, 8, d)
        half = e.shape[1] // 2
        return F.normalize(e.mean(1) + self.diff(e[:, half:].mean(1) - e[:, :half].mean(1)), dim=-1)


def eight_frame_index(clip):
    """Eight frames spread over the clip at the model rate (every 2nd world frame)."""
    count = (len(clip["frames"]) + 1) // 2
    return 2 * np.linspace(0, count - 1, 8).round().astype(int)


class StateProbe(torch.nn.Module):
    """Training-only linear read-out of the object's state (x, y, radius,
    opacity) from a frame embedding. Contrastive captions never say where an
    object is, so without it the image tower need not encode position at all
    (a linear probe found none), and falls/rises, left/right are then guesses."""

    def __init__(self, d):
        super().__init__()
        self.linear = torch.nn.Linear(d, 4)

    def loss(self, embeddings, states):
        target = torch.from_numpy(states) / torch.tensor([world.SIZE, world.SIZE, 16.0, 1.0])
        present = target[:, 3] > 0.2  # position and size mean nothing for an invisible object
        error = (self.linear(embeddings) - target) ** 2
        return error[:, 3].mean() + (error[present, :3].mean() if present.any() else 0)


def twin_preference(video, text, twin):
    """How much `video` prefers its caption over the reversed twin (cosine difference)."""
    return (video * (text - twin)).sum(-1)


def sinusoidal_positions(model):
    """Initialises the image tower's patch position embeddings with 2-D sines
    and cosines (half the channels for the row, half for the column) instead of
    N(0, 0.02): at that size position is 15x weaker than patch content and a
    small model trained for minutes never learns where an object is."""
    embeddings = model.vision_model.embeddings
    width = embeddings.position_embedding.weight.shape[1]
    side = embeddings.num_patches_per_side if hasattr(embeddings, "num_patches_per_side") else int(
        math.isqrt(embeddings.num_patches))
    quarter = width // 4
    frequencies = 1.0 / (side ** (torch.arange(quarter) / quarter))
    rows, cols = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    table = torch.cat([torch.sin(rows.reshape(-1, 1) * frequencies), torch.cos(rows.reshape(-1, 1) * frequencies),
                       torch.sin(cols.reshape(-1, 1) * frequencies), torch.cos(cols.reshape(-1, 1) * frequencies)], 1)
    with torch.no_grad():
        embeddings.position_embedding.weight[1:] = table  # row 0 is the class token's


def train_clip(model, tokens, clips, args, rng, curve):
    head = NeutralHead(model.config.projection_dim)
    probe = StateProbe(model.config.projection_dim)
    params = list(model.parameters()) + list(head.parameters()) + list(probe.parameters())
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05)
    steps = args.clip_steps
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, args.lr, total_steps=steps, pct_start=0.1)
    model.train()
    for step in range(steps):
        batch = [clips[i] for i in rng.choice(len(clips), args.batch, replace=False)]
        index = [eight_frame_index(c) for c in batch]
        frames = np.stack([c["frames"][i] for c, i in zip(batch, index)])
        e = embed_images(model, frames).reshape(len(batch), 8, -1)
        video = head(e)
        scale = model.logit_scale.exp().clamp(max=100)
        text = embed_texts(model, tokens, [templated(rng, c["caption"]) for c in batch])
        paired = [i for i, c in enumerate(batch) if c["twin"]]
        twins = embed_texts(model, tokens, [templated(rng, batch[i]["twin"]) for i in paired]) if paired else None
        loss = info_nce(video, text, scale, twins)
        loss = loss + args.state_weight * probe.loss(e.reshape(-1, e.shape[-1]),
                                                     np.concatenate([c["states"][i] for c, i in zip(batch, index)]))
        if paired:
            # The frame average is the same for a clip and its time reversal, so it
            # must not pick between caption and twin: otherwise it learns "yellow
            # things rise" from the combinations it saw instead of what rising is.
            mean = F.normalize(e[paired].mean(1), dim=-1)
            canon = embed_texts(model, tokens, [templated(rng, batch[i]["canonical"]) for i in paired])
            loss = loss + args.neutral_weight * (twin_preference(mean, canon, twins) ** 2).mean()
        statics = [(i, static_caption(rng, c)) for i, c in enumerate(batch)]
        statics = [(i, s) for i, s in statics if s]
        if statics:
            first = embed_images(model, np.stack([static_frame(batch[i]) for i, _ in statics]))
            loss = loss + 0.5 * info_nce(first, embed_texts(model, tokens, [templated(rng, s) for _, s in statics]), scale)
        loss = loss + 0.5 * verb_consistency(model, tokens, [c for c in batch if c["twin"]])
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        schedule.step()
        curve.append(loss.item())
        if step % 50 == 0 or step == steps - 1:
            log(f"clip step {step + 1}/{steps}: loss {loss.item():.3f}, scale {scale.item():.1f}")
    model.eval()


def verb_only(action):
    return world.PARAPHRASES[action][0].format(o="something", p="another object")


def verb_consistency(model, tokens, clips):
    """Compositional prior on the text tower: the direction from a caption to
    its reversed twin ("a red circle falls" -> "... rises") should be the same
    whatever the object ("something falls" -> "something rises"), so an action
    learned on some colours and shapes carries over to combinations never seen."""
    if not clips:
        return torch.zeros(())
    texts = [c["canonical"] for c in clips] + [c["twin"] for c in clips]
    texts += [verb_only(c["action"]) for c in clips] + [verb_only(world.TWIN[c["action"]]) for c in clips]
    t = embed_texts(model, tokens, texts).reshape(4, len(clips), -1)
    return (1 - F.cosine_similarity(t[0] - t[1], t[2] - t[3], dim=-1)).mean()


# ---------------------------------------------------------------- stage 2: temporal heads


class CausalTransformerHead(torch.nn.Module):
    """CLIP4Clip's seqTransf made causal: residual, learned positions, output at the last frame."""

    def __init__(self, d, layers=1, heads=4, max_len=64):
        super().__init__()
        self.positions = torch.nn.Parameter(torch.zeros(max_len, d))
        layer = torch.nn.TransformerEncoderLayer(d, heads, dim_feedforward=d, dropout=0.0, batch_first=True,
                                                 norm_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, layers)
        self.gate = torch.nn.Parameter(torch.zeros(1))

    def forward(self, e, lengths):
        t = e.shape[1]
        mask = torch.triu(torch.full((t, t), float("-inf")), 1)
        y = self.encoder(e + self.positions[:t], mask=mask)
        out = e + torch.tanh(self.gate) * y
        return F.normalize(out[torch.arange(len(e)), lengths - 1], dim=-1)


class MambaAdapterHead(torch.nn.Module):
    """monitor's TemporalAdapter: r_t = e_t + tanh(g) * Mamba(LayerNorm(e_t)), read at the last frame."""

    def __init__(self, d):
        super().__init__()
        self.config = MambaConfig(d_model=d, n_layers=1, d_state=16, expand_factor=1, d_conv=4)
        self.block = MambaBlock(self.config)
        self.norm = torch.nn.LayerNorm(d)
        self.gate = torch.nn.Parameter(torch.zeros(1))

    def sequence(self, e):
        """The normalised output at every frame (what the daemon scores)."""
        return F.normalize(e + torch.tanh(self.gate) * self.block(self.norm(e)), dim=-1)

    def forward(self, e, lengths):
        return self.sequence(e)[torch.arange(len(e)), lengths - 1]


def load_adapter(path):
    """A MambaAdapterHead from an exported temporal.safetensors (the export checked by reloading it)."""
    from safetensors.torch import load_file
    weights = load_file(path)
    head = MambaAdapterHead(weights["norm.weight"].shape[0])
    head.block.load_state_dict({k: v for k, v in weights.items() if not k.startswith(("norm.", "gate"))})
    head.norm.load_state_dict({"weight": weights["norm.weight"], "bias": weights["norm.bias"]})
    with torch.no_grad():
        head.gate.copy_(weights["gate"])
    return head.eval()


class MeanPHead(torch.nn.Module):
    def forward(self, e, lengths):
        mask = (torch.arange(e.shape[1])[None, :] < lengths[:, None]).float()[..., None]
        return F.normalize((e * mask).sum(1) / lengths[:, None], dim=-1)


def padded(sequences):
    lengths = torch.tensor([len(s) for s in sequences])
    out = torch.zeros(len(sequences), int(lengths.max()), sequences[0].shape[-1])
    for i, s in enumerate(sequences):
        out[i, :len(s)] = s
    return out, lengths


def shuffled(e, lengths, rng):
    """Each sequence's frames in a random order (padding stays at the end)."""
    out = e.clone()
    for row, length in enumerate(lengths.tolist()):
        out[row, :length] = e[row, torch.from_numpy(rng.permutation(length))]
    return out


def earliest_readout(clip):
    """How many model-rate frames a head must have seen before it is asked about
    the clip's action: half a second into it (the daemon is asked at every
    frame, and an alert should not wait for the action to finish)."""
    if clip["action"] == "nothing" or clip["action_end"] <= clip["action_start"]:
        return None  # the caption is about the whole clip (a still stretch, an empty scene)
    return min(int(np.ceil((clip["action_start"] + 0.5) * MODEL_FPS)), (len(clip["frames"]) + 1) // 2)


def train_head(head, name, embeddings, texts, twins, earliest, scale, args, rng, curve, streams=None):
    optimiser = torch.optim.AdamW(head.parameters(), lr=args.head_lr, weight_decay=0.01)
    steps = args.head_steps
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, args.head_lr, total_steps=steps, pct_start=0.1)
    for step in range(steps):
        index = rng.choice(len(embeddings), args.head_batch, replace=False)
        e, lengths = padded([embeddings[i] for i in index])
        if args.early_readout:
            lengths = torch.tensor([n if earliest[i] is None else int(rng.integers(earliest[i], n + 1))
                                    for i, n in zip(index, lengths.tolist())])
        video = head(e, lengths)
        paired = [row for row, i in enumerate(index) if twins[i] is not None]
        canon_rows = torch.stack([twins[index[row]][0] for row in paired]) if paired else None
        twin_rows = torch.stack([twins[index[row]][1] for row in paired]) if paired else None
        loss = info_nce(video, texts[index], scale, twin_rows)
        if paired and args.shuffle_weight:
            # With the order destroyed only shortcuts (colour, shape, last frame)
            # are left to choose between caption and twin: they must not.
            mixed = head(shuffled(e[paired], lengths[paired], rng), lengths[paired])
            loss = loss + args.shuffle_weight * (twin_preference(mixed, canon_rows, twin_rows) ** 2).mean()
        if streams is not None:
            loss = loss + args.stream_weight * streams.loss(head, rng, args.stream_batch, args.stream_window, scale,
                                                            args.stream_recolour)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        curve.append(loss.item())
        if step % 200 == 0 or step == steps - 1:
            log(f"{name} step {step + 1}/{steps}: loss {loss.item():.3f}")


# ---------------------------------------------------------------- evaluation (PyTorch side)


def decode(path):
    """All frames of an mp4 as the daemon's decoder delivers them (RGB24, model size)."""
    # The Video module's swscale flags (Sources/Video/FrameConverter.swift), so pixels match.
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-sws_flags", "bicubic+accurate_rnd+full_chroma_int",
                          "-vf", f"scale={world.SIZE}:{world.SIZE}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, world.SIZE, world.SIZE, 3)


def evaluate(heads, model, tokens, data_dir):
    manifest = json.load(open(os.path.join(data_dir, "manifest.json")))
    clips = manifest["test"]
    with torch.no_grad():
        embeddings = [embed_images(model, decode(os.path.join(data_dir, c["file"]))[::2]) for c in clips]
        canon = ensemble(model, tokens, [c["canonical"] for c in clips])
        results = {}
        for name, head in heads.items():
            e, lengths = padded(embeddings)
            video = head(e, lengths)
            results[name] = metrics(video, canon, clips, model, tokens)
    return results


def metrics(video, canon, clips, model, tokens):
    sims = canon @ video.T  # text x video
    ranks = [(sims[i] > sims[i, i]).sum().item() for i in range(len(clips))]
    ordered = [i for i, c in enumerate(clips) if c["twin"]]
    twins = ensemble(model, tokens, [clips[i]["twin"] for i in ordered])
    wins = [(video[i] @ canon[i] > video[i] @ twins[k]).item() for k, i in enumerate(ordered)]
    return {"r1": float(np.mean([r < 1 for r in ranks])), "r5": float(np.mean([r < 5 for r in ranks])),
            "order_swap": float(np.mean(wins)), "clips": len(clips), "order_clips": len(ordered)}


# ---------------------------------------------------------------- export


def export(model, tokens_dir, mamba, out, args, curves, results, started, clip_stage):
    model.save_pretrained(out, safe_serialization=True)
    for name in ("vocab.json", "merges.txt"):
        os.replace(os.path.join(tokens_dir, name), os.path.join(out, name))
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump({"image_mean": MEAN, "image_std": STD, "crop_size": world.SIZE,
                   "size": {"shortest_edge": world.SIZE}, "do_normalize": True, "rescale_factor": 1 / 255}, f)
    tensors = {k: v.detach().contiguous().clone() for k, v in mamba.block.state_dict().items()}
    tensors.update({"norm.weight": mamba.norm.weight.detach().clone(), "norm.bias": mamba.norm.bias.detach().clone(),
                    "gate": mamba.gate.detach().clone()})
    meta = {"d_model": str(mamba.config.d_model), "layer_norm_eps": str(mamba.norm.eps),
            "nominal_interval": str(1 / MODEL_FPS)}
    save_file(tensors, os.path.join(out, "temporal.safetensors"), metadata=meta)
    record = {"seed": args.seed, "style": args.style, "train_clips": args.train, "clip_steps": clip_stage["steps"],
              "clip_wall_seconds": clip_stage["wall_seconds"], "heads_reused_clip": bool(args.reuse_clip),
              "head_steps": args.head_steps, "model_fps": MODEL_FPS, "wall_seconds": round(time.time() - started),
              "pytorch_test": results}
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(record, f, indent=1)
    with open(os.path.join(out, "VERSIONS.txt"), "w") as f:
        import mambapy  # noqa: F401
        import transformers
        f.write(f"python {platform.python_version()}\ntorch {torch.__version__}\ntransformers {transformers.__version__}\n"
                f"numpy {np.__version__}\nseed {args.seed}\ngenerated by tools/synthetic/train.sh; do not edit by hand\n")
    plot(curves, os.path.join(out, "loss.png"))
    with open(os.path.join(out, "clip_stage.json"), "w") as f:
        json.dump(clip_stage, f)


def plot(curves, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3))
    for ax, (name, values) in zip(axes, curves.items()):
        steps = [v[0] for v in values] if values and isinstance(values[0], list) else list(range(1, len(values) + 1))
        values = [v[1] for v in values] if values and isinstance(values[0], list) else values
        window = max(1, len(values) // 50)
        smooth = np.convolve(values, np.ones(window) / window, mode="valid")
        ax.plot(steps, values, alpha=0.3)
        ax.plot(steps[window - 1:], smooth)
        ax.set_title(name)
        ax.set_xlabel("step")
    axes[0].set_ylabel("contrastive loss")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="tools/synthetic/generate.py output (test split)")
    parser.add_argument("--held-out-style", help="the same test split filmed in the held-out style (generate.py "
                        "--style held-out): reported beside --data")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--style", default="train", choices=["classic", "train"],
                        help="the look of the training footage (styles.py): the randomised world, or the first "
                             "world's 64 px gradients")
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--clip-steps", type=int, default=900)
    parser.add_argument("--head-steps", type=int, default=2000)
    parser.add_argument("--head-batch", type=int, default=128)
    parser.add_argument("--head-lr", type=float, default=3e-3)
    parser.add_argument("--state-weight", type=float, default=10.0, help="weight of the frame state read-out loss")
    parser.add_argument("--neutral-weight", type=float, default=10.0,
                        help="weight of the penalty on frame averages that prefer a caption over its twin")
    parser.add_argument("--shuffle-weight", type=float, default=10.0,
                        help="weight of the penalty on heads that prefer a caption over its twin on shuffled frames")
    parser.add_argument("--early-readout", type=int, default=1,
                        help="1: train the heads to name an action from half a second into it on, not only at its end")
    parser.add_argument("--sinusoidal-positions", type=int, default=1,
                        help="1: start the image tower's position embeddings as 2-D sines (see sinusoidal_positions)")
    parser.add_argument("--streams", type=int, default=160,
                        help="training camera videos for the Mamba adapter's stream loss (0: clips only)")
    parser.add_argument("--stream-seconds", type=float, default=60)
    parser.add_argument("--stream-weight", type=float, default=2.0)
    parser.add_argument("--stream-batch", type=int, default=12, help="stream windows per head step")
    parser.add_argument("--stream-recolour", type=float, default=0.9,
                        help="share of stream windows whose objects change look in embedding space (streams.py)")
    parser.add_argument("--stream-window", type=int, default=120, help="frames per stream window (4 fps)")
    parser.add_argument("--reuse-clip", help="load the CLIP towers and vocabulary from this model directory "
                        "instead of training them (iterate on the temporal heads only)")
    args = parser.parse_args()
    started = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count())
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)

    log(f"rendering {args.train} training clips ({args.style} style)")
    clips = camera.clips(args.seed + 1000, args.train, args.style, log=log)

    tokens_dir = os.path.join(args.out, ".tokenizer")
    if args.reuse_clip:
        os.makedirs(tokens_dir, exist_ok=True)
        for name in ("vocab.json", "merges.txt"):
            with open(os.path.join(args.reuse_clip, name)) as src, open(os.path.join(tokens_dir, name), "w") as dst:
                dst.write(src.read())
        vocab_size = len(json.load(open(os.path.join(tokens_dir, "vocab.json"))))
    else:
        merges = learn_merges(all_caption_texts(), 400)
        vocab_size = write_vocabulary(tokens_dir, merges)
        log(f"vocabulary: {vocab_size} tokens ({len(merges)} merges)")
    tokens = Tokens(tokens_dir)

    d = 64
    config = CLIPConfig(
        text_config=dict(vocab_size=vocab_size, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=CONTEXT, hidden_act="quick_gelu",
                         bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1, pad_token_id=vocab_size - 1,
                         projection_dim=d),
        vision_config=dict(hidden_size=128, intermediate_size=256, num_hidden_layers=3, num_attention_heads=4,
                           image_size=world.SIZE, patch_size=8, hidden_act="quick_gelu", projection_dim=d),
        projection_dim=d, logit_scale_init_value=2.6592)
    curves = {"CLIP (clips + frames)": []}
    clip_stage = None
    if args.reuse_clip:
        model = CLIPModel.from_pretrained(args.reuse_clip).eval()
        with open(os.path.join(args.reuse_clip, "clip_stage.json")) as f:
            clip_stage = json.load(f)
    else:
        model = CLIPModel(config)
        if args.sinusoidal_positions:
            sinusoidal_positions(model)
        clip_started = time.time()
        train_clip(model, tokens, clips, args, rng, curves["CLIP (clips + frames)"])
        clip_stage = {"wall_seconds": round(time.time() - clip_started), "steps": args.clip_steps,
                      "loss": [[i + 1, round(x, 4)] for i, x in enumerate(curves["CLIP (clips + frames)"])]}
    for p in model.parameters():
        p.requires_grad_(False)

    log("frame embeddings (frozen CLIP) at 4 fps")
    with torch.no_grad():
        embeddings = [embed_images(model, c["frames"][::2]) for c in clips]
        captions = sorted({c[k] for c in clips for k in ("caption", "canonical", "twin") if c[k]})
        table = dict(zip(captions, ensemble(model, tokens, captions)))
    texts = torch.stack([table[c["caption"]] for c in clips])
    earliest = [earliest_readout(c) for c in clips]
    twins = [(table[c["canonical"]], table[c["twin"]]) if c["twin"] else None for c in clips]
    scale = model.logit_scale.exp().clamp(max=100).item()

    # The heads' randomness does not depend on whether CLIP was trained or
    # reused: a --reuse-clip run makes the same heads as the full run did.
    torch.manual_seed(args.seed + 4000)
    rng = np.random.default_rng(args.seed + 4000)
    streams = validation_streams = None
    if args.streams:
        def embed(frames):
            with torch.no_grad():
                return embed_images(model, frames)

        def texts_of(captions):
            return ensemble(model, tokens, captions)

        log(f"stream training: {args.streams} camera videos of {args.stream_seconds:.0f} s")
        videos = camera.videos(args.seed + 2000, args.streams, args.stream_seconds, args.style, log=log)
        streams = Streams(np.random.default_rng(args.seed + 2000), videos, embed, texts_of, log, BACKGROUNDS)
        videos = camera.videos(args.seed + 3000, max(2, args.streams // 8), args.stream_seconds, args.style)
        validation_streams = Streams(np.random.default_rng(args.seed + 3000), videos, embed, texts_of, log)
        del videos
    heads = {"meanP": MeanPHead(), "causal Transformer": CausalTransformerHead(d), "Mamba adapter": MambaAdapterHead(d)}
    for name in ("causal Transformer", "Mamba adapter"):
        curves[name] = []
        count = sum(p.numel() for p in heads[name].parameters())
        log(f"training {name} head ({count} parameters)")
        # The Transformer reads at most 64 frames (its learned positions): clips only.
        stream = streams if name == "Mamba adapter" else None
        train_head(heads[name], name, embeddings, texts, twins, earliest, scale, args, rng, curves[name], stream)
        heads[name].eval()
    if validation_streams:
        stream_accuracy = validation_streams.accuracy(heads["Mamba adapter"])
        log(f"Mamba adapter on {len(validation_streams.embeddings)} unseen camera videos: "
            f"{stream_accuracy:.3f} of labelled frames name the right action")
    log("evaluating on the test split (held-out combinations, ffmpeg-decoded)")
    results = evaluate(heads, model, tokens, args.data)
    for name, r in results.items():
        log(f"{name}: R@1 {r['r1']:.3f} R@5 {r['r5']:.3f} order-swap {r['order_swap']:.3f}")
    held_out_style = evaluate(heads, model, tokens, args.held_out_style) if args.held_out_style else None
    for name, r in (held_out_style or {}).items():
        log(f"held-out style, {name}: R@1 {r['r1']:.3f} R@5 {r['r5']:.3f} order-swap {r['order_swap']:.3f}")
    results["parameters"] = {n: sum(p.numel() for p in h.parameters()) for n, h in heads.items()}
    if validation_streams:
        results["Mamba adapter"]["stream_frame_accuracy"] = stream_accuracy
    curves["CLIP (clips + frames)"] = clip_stage["loss"]
    if held_out_style:
        results["held_out_style"] = held_out_style
    export(model, tokens_dir, heads["Mamba adapter"], args.out, args, curves, results, started, clip_stage)
    os.rmdir(tokens_dir) if not os.listdir(tokens_dir) else None
    log(f"done in {time.time() - started:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
