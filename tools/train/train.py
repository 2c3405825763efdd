#!/usr/bin/env python3
"""Trains monitor's small default model on the synthetic world (tools/synth)
and exports it to models/synthetic:

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
Usage: tools/train/train.sh  (creates the venv, generates the test data, trains)
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
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "synth"))
import world  # noqa: E402
from clip_vocab import learn_merges, write_vocabulary  # noqa: E402

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


def eight_frames(clip):
    frames = clip["frames"][::2]
    index = np.linspace(0, len(frames) - 1, 8).round().astype(int)
    return frames[index]


def train_clip(model, tokens, clips, args, rng, curve):
    head = NeutralHead(model.config.projection_dim)
    params = list(model.parameters()) + list(head.parameters())
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05)
    steps = args.clip_steps
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, args.lr, total_steps=steps, pct_start=0.1)
    model.train()
    for step in range(steps):
        batch = [clips[i] for i in rng.choice(len(clips), args.batch, replace=False)]
        frames = np.stack([eight_frames(c) for c in batch])
        e = embed_images(model, frames).reshape(len(batch), 8, -1)
        video = head(e)
        scale = model.logit_scale.exp().clamp(max=100)
        text = embed_texts(model, tokens, [templated(rng, c["caption"]) for c in batch])
        twins = [templated(rng, c["twin"]) for c in batch if c["twin"]]
        loss = info_nce(video, text, scale, embed_texts(model, tokens, twins) if twins else None)
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

    def forward(self, e, lengths):
        r = e + torch.tanh(self.gate) * self.block(self.norm(e))
        return F.normalize(r[torch.arange(len(e)), lengths - 1], dim=-1)


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


def train_head(head, name, embeddings, texts, twins, scale, args, rng, curve):
    optimiser = torch.optim.AdamW(head.parameters(), lr=args.head_lr, weight_decay=0.01)
    steps = args.head_steps
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, args.head_lr, total_steps=steps, pct_start=0.1)
    for step in range(steps):
        index = rng.choice(len(embeddings), args.head_batch, replace=False)
        e, lengths = padded([embeddings[i] for i in index])
        video = head(e, lengths)
        twin_rows = [twins[i] for i in index if twins[i] is not None]
        loss = info_nce(video, texts[index], scale, torch.stack(twin_rows) if twin_rows else None)
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
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
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
    record = {"seed": args.seed, "train_clips": args.train, "clip_steps": clip_stage["steps"],
              "clip_wall_seconds": clip_stage["wall_seconds"], "heads_reused_clip": bool(args.reuse_clip),
              "head_steps": args.head_steps, "model_fps": MODEL_FPS, "wall_seconds": round(time.time() - started),
              "pytorch_test": results}
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(record, f, indent=1)
    with open(os.path.join(out, "VERSIONS.txt"), "w") as f:
        import mambapy  # noqa: F401
        import transformers
        f.write(f"python {platform.python_version()}\ntorch {torch.__version__}\ntransformers {transformers.__version__}\n"
                f"numpy {np.__version__}\nseed {args.seed}\ngenerated by tools/train/train.sh; do not edit by hand\n")
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
    parser.add_argument("--data", required=True, help="tools/synth/generate.py output (test split)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--clip-steps", type=int, default=900)
    parser.add_argument("--head-steps", type=int, default=1500)
    parser.add_argument("--head-batch", type=int, default=128)
    parser.add_argument("--head-lr", type=float, default=3e-3)
    parser.add_argument("--reuse-clip", help="load the CLIP towers and vocabulary from this model directory "
                        "instead of training them (iterate on the temporal heads only)")
    args = parser.parse_args()
    started = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count())
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)

    log(f"generating {args.train} training clips")
    data_rng = np.random.default_rng(args.seed + 1000)
    clips = [world.make_clip(data_rng, "train") for _ in range(args.train)]

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
        clip_started = time.time()
        train_clip(model, tokens, clips, args, rng, curves["CLIP (clips + frames)"])
        clip_stage = {"wall_seconds": round(time.time() - clip_started), "steps": args.clip_steps,
                      "loss": [[i + 1, round(x, 4)] for i, x in enumerate(curves["CLIP (clips + frames)"])]}
    for p in model.parameters():
        p.requires_grad_(False)

    log("frame embeddings (frozen CLIP) at 4 fps")
    with torch.no_grad():
        embeddings = [embed_images(model, c["frames"][::2]) for c in clips]
        captions = sorted({c["caption"] for c in clips} | {c["twin"] for c in clips if c["twin"]})
        table = dict(zip(captions, ensemble(model, tokens, captions)))
    texts = torch.stack([table[c["caption"]] for c in clips])
    twins = [table[c["twin"]] if c["twin"] else None for c in clips]
    scale = model.logit_scale.exp().clamp(max=100).item()

    heads = {"meanP": MeanPHead(), "causal Transformer": CausalTransformerHead(d), "Mamba adapter": MambaAdapterHead(d)}
    for name in ("causal Transformer", "Mamba adapter"):
        curves[name] = []
        count = sum(p.numel() for p in heads[name].parameters())
        log(f"training {name} head ({count} parameters)")
        train_head(heads[name], name, embeddings, texts, twins, scale, args, rng, curves[name])
        heads[name].eval()
    log("evaluating on the test split (held-out combinations, ffmpeg-decoded)")
    results = evaluate(heads, model, tokens, args.data)
    for name, r in results.items():
        log(f"{name}: R@1 {r['r1']:.3f} R@5 {r['r5']:.3f} order-swap {r['order_swap']:.3f}")
    results["parameters"] = {n: sum(p.numel() for p in h.parameters()) for n, h in heads.items()}
    curves["CLIP (clips + frames)"] = clip_stage["loss"]
    export(model, tokens_dir, heads["Mamba adapter"], args.out, args, curves, results, started, clip_stage)
    os.rmdir(tokens_dir) if not os.listdir(tokens_dir) else None
    log(f"done in {time.time() - started:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
