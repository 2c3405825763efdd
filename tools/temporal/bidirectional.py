"""monitor's retrospective re-ranker in PyTorch: a bidirectional Mamba over a
camera's compressed memory (VideoMamba's forward and backward scans), as
Sources/Mamba/BidirectionalAdapter.swift runs it:

    r = e + tanh(g) * (Forward(LayerNorm(e)) + flip(Backward(flip(LayerNorm(e)))))

over a sequence of memory entries e (their mean embeddings, normalised), one
position per entry: the entries of a memory bank stand for stretches of very
different lengths, so the scan steps by entry, not by time. An action is a
change, and the bank keeps changes as boundaries between entries, so the
re-ranker also answers for each boundary between entries i and i + 1, from
what the forward scan saw up to i and the backward scan from i + 1 on:

    b_i = (e_i + e_{i+1}) / 2 + tanh(g) * (F_i + B_{i+1})

(a hit there spans `transition_seconds` around the boundary). Forward and
Backward are two mambapy MambaBlocks (mamba_ssm's names, under `forward.` and
`backward.` in the exported file); with every s = 1 of the causal adapter
this is two of its blocks, so the Swift block equals mambapy's here too.
"""
import torch
from mambapy.mamba import MambaBlock, MambaConfig

KIND = "bidirectional memory re-ranker"


class BidirectionalAdapter(torch.nn.Module):
    def __init__(self, d_model, d_state=16, expand=1, d_conv=4):
        super().__init__()
        self.config = MambaConfig(d_model=d_model, n_layers=1, d_state=d_state, expand_factor=expand, d_conv=d_conv)
        self.forward_block = MambaBlock(self.config)
        self.backward_block = MambaBlock(self.config)
        self.norm = torch.nn.LayerNorm(d_model)
        self.gate = torch.nn.Parameter(torch.zeros(1))

    def forward(self, e):
        """Entry outputs (B, L, d_model) and boundary outputs (B, L - 1, d_model) for entry embeddings
        e (B, L, d_model), every row L long."""
        x = self.norm(e)
        ahead, back = self.forward_block(x), self.backward_block(x.flip(1)).flip(1)
        gate = torch.tanh(self.gate)
        entries = e + gate * (ahead + back)
        boundaries = (e[:, :-1] + e[:, 1:]) / 2 + gate * (ahead[:, :-1] + back[:, 1:])
        return entries, boundaries

    def tensors(self):
        """The weights under the names Swift's BidirectionalAdapter loads."""
        out = {}
        for prefix, block in (("forward.", self.forward_block), ("backward.", self.backward_block)):
            out.update({prefix + k: v.detach().contiguous().clone() for k, v in block.state_dict().items()})
        out["norm.weight"] = self.norm.weight.detach().contiguous().clone()
        out["norm.bias"] = self.norm.bias.detach().contiguous().clone()
        out["gate"] = self.gate.detach().contiguous().clone()
        return out

    def load_tensors(self, tensors):
        for prefix, block in (("forward.", self.forward_block), ("backward.", self.backward_block)):
            block.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
        self.norm.load_state_dict({"weight": tensors["norm.weight"], "bias": tensors["norm.bias"]})
        with torch.no_grad():
            self.gate.copy_(tensors["gate"])

    @classmethod
    def load(cls, path):
        from safetensors import safe_open
        with safe_open(path, "pt") as f:
            tensors = {name: f.get_tensor(name) for name in f.keys()}
        d_model = tensors["norm.weight"].shape[0]
        expand = tensors["forward.in_proj.weight"].shape[0] // (2 * d_model)
        model = cls(d_model, d_state=tensors["forward.A_log"].shape[1], expand=expand,
                    d_conv=tensors["forward.conv1d.weight"].shape[2])
        model.load_tensors(tensors)
        return model
