#!/usr/bin/env python3
"""Reference fixtures for the Swift Mamba module, made with mambapy (pure-PyTorch
Mamba with mamba_ssm's parameter names and a recurrent `step`), which nobody here wrote.

For each configuration it writes, into Tests/Fixtures/mamba/:
  NAME.weights.safetensors  random weights under mamba_ssm's names
                            (in_proj, conv1d, x_proj, dt_proj, A_log, D, out_proj)
  NAME.io.safetensors       input (L, d_model), output of the sequence forward
                            (L, d_model) and output of L recurrent steps (L, d_model)
and adapter.* for the TemporalAdapter: r = e + tanh(gate) * Mamba(LayerNorm(e)).
VERSIONS.txt records the package versions. Run: tools/make_mamba_fixtures.sh
"""
import json
import os
import sys

import mambapy
import numpy as np
import safetensors
import torch
from mambapy.mamba import MambaBlock, MambaConfig
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "mamba")

# (name, d_model, d_state, expand, bias, L): d_model not a multiple of 8,
# expand 1 and 2, L = 1, 7, 64, 512.
CONFIGS = [
    ("d20e1n16_L1", 20, 16, 1, False, 1),
    ("d20e1n16_L7", 20, 16, 1, False, 7),
    ("d20e1n16_L64", 20, 16, 1, False, 64),
    ("d37e2n8_bias_L64", 37, 8, 2, True, 64),
    ("d13e2n16_L512", 13, 16, 2, False, 512),
]


def randomise(block: MambaBlock, generator: torch.Generator):
    """mambapy's init leaves D = 1 and A = 1..N; perturb every parameter so each one matters."""
    with torch.no_grad():
        for name, param in block.named_parameters():
            noise = torch.randn(param.shape, generator=generator) * 0.2
            if name == "A_log":
                param.add_(noise)
            elif name == "D":
                param.copy_(1 + noise)
            elif name == "dt_proj.bias":
                param.add_(noise * 0.5)
            else:
                param.copy_(torch.randn(param.shape, generator=generator) * (param.shape[-1] ** -0.5))


def weights_of(block: MambaBlock, prefix: str = ""):
    return {prefix + k: v.detach().contiguous().clone() for k, v in block.state_dict().items()}


def run_steps(block: MambaBlock, x: torch.Tensor, d_inner: int, d_conv: int):
    """L recurrent steps from an empty cache, as mambapy's MambaBlock.step documents."""
    h = torch.zeros(1, d_inner, block.config.d_state)
    inputs = torch.zeros(1, d_inner, d_conv - 1)
    outputs = []
    for t in range(x.shape[1]):
        y, (h, inputs) = block.step(x[:, t], (h, inputs))
        outputs.append(y)
    return torch.stack(outputs, dim=1)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    for i, (name, d_model, d_state, expand, bias, length) in enumerate(CONFIGS):
        generator = torch.Generator().manual_seed(1000 + i)
        config = MambaConfig(d_model=d_model, n_layers=1, d_state=d_state, expand_factor=expand, bias=bias)
        block = MambaBlock(config).eval()
        randomise(block, generator)
        x = torch.randn(1, length, d_model, generator=generator)
        with torch.no_grad():
            sequence = block(x)
            steps = run_steps(block, x, config.d_inner, config.d_conv)
        meta = {"d_model": str(d_model), "d_state": str(d_state), "expand": str(expand), "dt_rank": str(config.dt_rank),
                "d_conv": str(config.d_conv), "bias": str(bias).lower(), "length": str(length)}
        save_file(weights_of(block), os.path.join(OUT, f"{name}.weights.safetensors"), metadata=meta)
        save_file({"input": x[0].contiguous(), "output": sequence[0].contiguous(), "step_output": steps[0].contiguous()},
                  os.path.join(OUT, f"{name}.io.safetensors"), metadata=meta)
        gap = (sequence - steps).abs().max().item()
        print(f"{name}: L={length} d_model={d_model} d_inner={config.d_inner} dt_rank={config.dt_rank} "
              f"(mambapy sequence vs step max diff {gap:.2e})")

    # TemporalAdapter: r = e + tanh(g) * Mamba(LayerNorm(e)), expand 1, gate trained away from 0.
    generator = torch.Generator().manual_seed(77)
    d_model, length = 24, 32
    config = MambaConfig(d_model=d_model, n_layers=1, d_state=16, expand_factor=1)
    block = MambaBlock(config).eval()
    randomise(block, generator)
    norm = torch.nn.LayerNorm(d_model)
    with torch.no_grad():
        norm.weight.copy_(1 + 0.1 * torch.randn(d_model, generator=generator))
        norm.bias.copy_(0.1 * torch.randn(d_model, generator=generator))
    gate = torch.tensor([0.7])
    e = torch.randn(1, length, d_model, generator=generator)
    with torch.no_grad():
        r = e + torch.tanh(gate) * block(norm(e))
    tensors = weights_of(block)
    tensors.update({"norm.weight": norm.weight.detach().clone(), "norm.bias": norm.bias.detach().clone(), "gate": gate})
    meta = {"d_model": str(d_model), "layer_norm_eps": str(norm.eps)}
    save_file(tensors, os.path.join(OUT, "adapter.weights.safetensors"), metadata=meta)
    save_file({"input": e[0].contiguous(), "output": r[0].contiguous()}, os.path.join(OUT, "adapter.io.safetensors"),
              metadata=meta)
    print(f"adapter: L={length} d_model={d_model} gate={gate.item()}")

    with open(os.path.join(OUT, "VERSIONS.txt"), "w") as f:
        f.write(f"python {sys.version.split()[0]}\ntorch {torch.__version__}\nmambapy {getattr(mambapy, '__version__', '1.2.0')}\n"
                f"safetensors {safetensors.__version__}\nnumpy {np.__version__}\n"
                "generated by tools/make_mamba_fixtures.sh; do not edit by hand\n")


if __name__ == "__main__":
    main()
