#!/usr/bin/env python3
"""Peers for Benchmarks/bench-clip: the ViT-B/32 image tower (random weights,
transformers' CLIPVisionModelWithProjection) run by ONNX Runtime in fp32 and in
int8 (`quantize_dynamic`, per-channel int8 weights, dynamic activations: what
a user who wants speed picks) and by PyTorch (CPU), at the same batch sizes
and thread counts as monitor-bench.
Prints one key=value line per configuration."""
import argparse
import os
import tempfile
import time

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic
import torch
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection


class ImageFeatures(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        embeds = self.model(pixel_values=pixel_values).image_embeds
        return embeds / embeds.norm(dim=-1, keepdim=True)


def timed(run, batch, images):
    """Best of three measurements of `images` images, as monitor-bench does."""
    run()  # warm-up
    rounds = max(1, -(-images // batch))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            run()
        best = min(best, (time.perf_counter() - start) * 1000 / (rounds * batch))
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--images", type=int, default=24)
    args = parser.parse_args()

    torch.manual_seed(0)
    config = CLIPVisionConfig(hidden_act="quick_gelu", projection_dim=512)  # ViT-B/32 defaults
    model = ImageFeatures(CLIPVisionModelWithProjection(config).eval())
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vision.onnx")
        with torch.no_grad():
            torch.onnx.export(model, (torch.randn(1, 3, 224, 224),), path, input_names=["pixel_values"],
                              output_names=["embeds"], dynamic_axes={"pixel_values": {0: "batch"}}, opset_version=17,
                              dynamo=False)
        quantised = os.path.join(tmp, "vision-int8.onnx")
        quantize_dynamic(path, quantised, weight_type=QuantType.QInt8, per_channel=True)
        for name, file in [("onnxruntime", path), ("onnxruntime-int8", quantised)]:
            for threads in args.threads:
                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                session = ort.InferenceSession(file, options, providers=["CPUExecutionProvider"])
                for batch in args.batches:
                    x = np.random.default_rng(1).standard_normal((batch, 3, 224, 224), dtype=np.float32)
                    ms = timed(lambda: session.run(None, {"pixel_values": x}), batch, args.images)
                    print(f"peer={name} threads={threads} batch={batch} ms_per_image={ms:.2f}", flush=True)
    for threads in args.threads:
        torch.set_num_threads(threads)
        for batch in args.batches:
            x = torch.randn(batch, 3, 224, 224)
            with torch.inference_mode():
                ms = timed(lambda: model(x), batch, args.images)
            print(f"peer=pytorch threads={threads} batch={batch} ms_per_image={ms:.2f}", flush=True)


if __name__ == "__main__":
    main()
