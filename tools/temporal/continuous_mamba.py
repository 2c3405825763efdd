"""monitor's TemporalAdapter in PyTorch, stepped in continuous time exactly as
the daemon steps it (Sources/Mamba: TemporalAdapter.step, MambaBlock.step,
SelectiveScan, MambaState.shiftConvWindow):

    r_t = e_t + tanh(g) * Mamba(LayerNorm(e_t))

on frames at arbitrary stream times. Between two frames s = (t_i - t_{i-1}) /
nominal_interval nominal intervals pass (s = 1 for the first frame):

- the selective state decays by the real time, h <- exp(delta * s * A) h +
  delta * B * x (the input term counts once, as in the Swift step);
- round(s - 1) frames that never came shift zeros through the causal
  convolution's window (a gap of d_conv - 1 or more clears it).

The weights are mambapy's MambaBlock (mamba_ssm's names), so with every s = 1
this is mambapy's forward, which `check_against_mambapy` verifies. Batched over
windows, sequential over time (windows are short; the daemon is recurrent).
"""
import torch
import torch.nn.functional as F
from mambapy.mamba import MambaBlock, MambaConfig


def missing_positions(scale):
    """Whole nominal intervals missed before a frame `scale` intervals after the previous one,
    rounded half away from zero as Swift's `rounded()` (torch.round would take 1.5 intervals to 2 and 0.5 to 0)."""
    return torch.floor(torch.clamp(scale - 1, 0, 1_000_000) + 0.5)


class ContinuousAdapter(torch.nn.Module):
    def __init__(self, d_model, d_state=16, expand=1, d_conv=4, nominal_interval=0.25):
        super().__init__()
        self.config = MambaConfig(d_model=d_model, n_layers=1, d_state=d_state, expand_factor=expand, d_conv=d_conv)
        self.block = MambaBlock(self.config)
        self.norm = torch.nn.LayerNorm(d_model)
        self.gate = torch.nn.Parameter(torch.zeros(1))
        self.nominal_interval = nominal_interval

    def scales(self, times):
        """(B, L) stream times -> (B, L) decay scales: 1 for the first frame, elapsed / nominal after."""
        gaps = (times[:, 1:] - times[:, :-1]).clamp(min=0) / self.nominal_interval
        return torch.cat([torch.ones_like(times[:, :1]), gaps], dim=1)

    def mixed(self, x, scales):
        """The Mamba block on normed inputs x (B, L, d_model) with per-frame decay scales (B, L)."""
        block, c = self.block, self.config
        batch, length, _ = x.shape
        xz = block.in_proj(x)
        u, z = xz.chunk(2, dim=-1)  # (B, L, ED)
        # Causal depthwise convolution over the frames' positions on the nominal grid.
        positions = torch.cumsum(1 + missing_positions(scales), dim=1)  # (B, L)
        weight = block.conv1d.weight[:, 0, :]  # (ED, K): weight[:, K-1] multiplies the current frame
        k = c.d_conv
        conv = u * weight[:, k - 1]
        for back in range(1, k):  # an earlier frame, `back` frames before
            if back >= length:
                break
            distance = positions[:, back:] - positions[:, :-back]  # (B, L - back)
            valid = (distance <= k - 1).to(u.dtype)
            tap = (k - 1 - distance.clamp(max=k - 1)).long()  # weight column for that distance
            taps = weight.t()[tap]  # (B, L - back, ED)
            contribution = taps * u[:, :-back] * valid[..., None]
            conv = conv + F.pad(contribution, (0, 0, back, 0))
        if block.conv1d.bias is not None:
            conv = conv + block.conv1d.bias
        u = F.silu(conv)
        # Selective scan with the decay stretched by the elapsed time.
        a = -torch.exp(block.A_log.float())  # (ED, N)
        delta_b_c = block.x_proj(u)
        delta, b, cc = torch.split(delta_b_c, [c.dt_rank, c.d_state, c.d_state], dim=-1)
        delta = F.softplus(delta @ block.dt_proj.weight.t() + block.dt_proj.bias)  # (B, L, ED)
        h = torch.zeros(batch, c.d_inner, c.d_state, dtype=x.dtype)
        ys = []
        for t in range(length):
            decay = torch.exp((delta[:, t] * scales[:, t, None])[..., None] * a)
            h = decay * h + (delta[:, t] * u[:, t])[..., None] * b[:, t, None, :]
            ys.append((h @ cc[:, t, :, None])[..., 0] + block.D * u[:, t])
        y = torch.stack(ys, dim=1)
        return block.out_proj(y * F.silu(z))

    def forward(self, e, times):
        """Adapter outputs (B, L, d_model) for embeddings e (B, L, d_model) at stream times (B, L)."""
        return e + torch.tanh(self.gate) * self.mixed(self.norm(e), self.scales(times))

    def tensors(self):
        """The weights under the names `[model] temporal` loads (Sources/Mamba/TemporalAdapter.swift)."""
        out = {k: v.detach().contiguous().clone() for k, v in self.block.state_dict().items()}
        out["norm.weight"] = self.norm.weight.detach().contiguous().clone()
        out["norm.bias"] = self.norm.bias.detach().contiguous().clone()
        out["gate"] = self.gate.detach().contiguous().clone()
        return out

    @classmethod
    def load(cls, path):
        """An exported temporal.safetensors at its own nominal interval (0.5 s when its metadata
        gives none, as the daemon's TemporalAdapter assumes)."""
        from safetensors import safe_open
        with safe_open(path, "pt") as f:
            tensors = {name: f.get_tensor(name) for name in f.keys()}
            nominal = float((f.metadata() or {}).get("nominal_interval", 0.5))
        adapter = cls(tensors["norm.weight"].shape[0], nominal_interval=nominal)
        adapter.load_tensors(tensors)
        return adapter

    def load_tensors(self, tensors):
        self.block.load_state_dict({k: v for k, v in tensors.items() if not k.startswith(("norm.", "gate"))})
        self.norm.load_state_dict({"weight": tensors["norm.weight"], "bias": tensors["norm.bias"]})
        with torch.no_grad():
            self.gate.copy_(tensors["gate"])


def check_against_mambapy(adapter, length=40, seed=0):
    """Max difference between the continuous-time forward at the nominal rate and mambapy's own forward."""
    generator = torch.Generator().manual_seed(seed)
    e = torch.randn(2, length, adapter.config.d_model, generator=generator)
    times = torch.arange(length, dtype=torch.float32)[None].repeat(2, 1) * adapter.nominal_interval
    with torch.no_grad():
        ours = adapter(e, times)
        theirs = e + torch.tanh(adapter.gate) * adapter.block(adapter.norm(e))
    return (ours - theirs).abs().max().item()
