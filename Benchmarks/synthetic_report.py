#!/usr/bin/python3
"""Prints the synthetic benchmark table (Benchmarks/eval-synthetic): clip metrics
from monitor-bench, PyTorch's figures from training, and event precision /
recall / onset latency of `monitor replay` episodes against the ground truth,
then whether each of the benchmark's targets is met.

An episode (`new` event) of rule R detects a true event of action R when it
starts between the event's start and 2 s after its end; each true event is
detected at most once. Onset latency: episode start minus true start.
Usage: synthetic_report.py DATA_DIR RESULTS_DIR METRICS_JSON [MORE_DATA_DIR MORE_RESULTS_DIR]
(MORE_*: further held-out camera videos of another seed, reported on their own line)
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from event_match import match  # noqa: E402


def event_figures(data, results):
    """(seed, videos, true events, precision, recall, median onset) of the replays in `results`
    against `data`'s truth."""
    manifest = json.load(open(os.path.join(data, "manifest.json")))
    tp = fp = missed = 0
    latencies = []
    for video in manifest["long"]:
        name = os.path.splitext(os.path.basename(video["file"]))[0]
        report = json.load(open(os.path.join(results, name + ".json")))
        episodes = [e for e in report["events"] if e["type"] == "new"]
        t, f, m, l = match(episodes, video["events"])
        tp, fp, missed, latencies = tp + t, fp + f, missed + m, latencies + l
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + missed, 1)
    onset = statistics.median(latencies) if latencies else float("nan")
    return manifest["seed"], len(manifest["long"]), tp + missed, precision, recall, onset


def main():
    data, results, metrics_path = sys.argv[1:4]
    rows = [dict(kv.split("=") for kv in line.split()) for line in open(os.path.join(results, "clips.txt"))]
    pytorch = json.load(open(metrics_path))["pytorch_test"]
    names = {"meanP": "meanP", "mamba": "Mamba adapter"}
    print(f"{'head':<20} {'engine':<8} {'R@1':>6} {'R@5':>6} {'order-swap':>10}")
    for r in rows:
        print(f"{names[r['head']]:<20} {'Swift':<8} {float(r['r1']):>6.3f} {float(r['r5']):>6.3f} "
              f"{float(r['order_swap']):>10.3f}")
    # PyTorch's figures are those of the test split the training run evaluated: the style it was
    # trained in, and the held-out style when it was given one (tools/synthetic/train.py).
    style = json.load(open(os.path.join(data, "manifest.json"))).get("style", "classic")
    trained_style = json.load(open(metrics_path)).get("style", "classic")
    figures = pytorch if style == trained_style else pytorch.get("held_out_style") if style == "held-out" else None
    for name in ("meanP", "causal Transformer", "Mamba adapter") if figures else ():
        p = figures[name]
        print(f"{name:<20} {'PyTorch':<8} {p['r1']:>6.3f} {p['r5']:>6.3f} {p['order_swap']:>10.3f}")
    if not figures:
        print(f"(no PyTorch figures: the model was trained and evaluated in the {trained_style} style, "
              f"these clips are in the {style} style)")
    print(f"({rows[0]['clips']} held-out test clips, {rows[0]['order_clips']} with a reversed twin caption)")

    swaps = {names[r["head"]]: float(r["order_swap"]) for r in rows}
    verdicts = [("Mamba order-swap >= 0.95", swaps["Mamba adapter"] >= 0.95),
                ("meanP order-swap near 0.5 (0.4-0.6)", 0.4 <= swaps["meanP"] <= 0.6)]
    sets = [(data, results)] + ([(sys.argv[4], sys.argv[5])] if len(sys.argv) > 5 else [])
    print()
    for set_data, set_results in sets:
        seed, videos, events, precision, recall, onset = event_figures(set_data, set_results)
        label = f"long videos, seed {seed}"
        print(f"{label} (Mamba adapter through monitor replay, {videos} videos, {events} true events): "
              f"precision {precision:.3f}, recall {recall:.3f}, median onset latency {onset:.2f} s")
        verdicts += [(f"{label}: event precision >= 0.9", precision >= 0.9),
                     (f"{label}: event recall >= 0.9", recall >= 0.9),
                     (f"{label}: median onset <= 1 s", onset <= 1.0)]
    print()
    for target, met in verdicts:
        print(f"target {target}: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
