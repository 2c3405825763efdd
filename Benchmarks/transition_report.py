#!/usr/bin/python3
"""Event precision and recall of the synthetic world's transition rules
(models/synthetic/transitions) on long camera videos, from `monitor replay --json`
reports. A state change cannot tell an object appearing from one entering, so
the rule "appears" detects both (and "disappears" both disappearing and
leaving); matching is scripts/event_match.py's otherwise.
Usage: transition_report.py DATA RESULTS   (DATA: tools/synthetic/generate.py output;
RESULTS: one <video>.json per long video)"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from event_match import match  # noqa: E402

CLASS = {"appears": "appears", "enters": "appears", "disappears": "disappears", "leaves": "disappears"}
RULES = ("appears", "disappears", "grows", "shrinks")


def main():
    data, results = sys.argv[1:3]
    manifest = json.load(open(os.path.join(data, "manifest.json")))
    tally = {rule: [0, 0, 0, []] for rule in RULES}
    for video in manifest["long"]:
        name = os.path.splitext(os.path.basename(video["file"]))[0]
        report = json.load(open(os.path.join(results, name + ".json")))
        truth = [dict(event, action=CLASS.get(event["action"], event["action"])) for event in video["events"]]
        for rule in RULES:
            episodes = [e for e in report["events"] if e["type"] == "new" and e["rule"] == rule]
            t, f, m, lat = match(episodes, [e for e in truth if e["action"] == rule])
            tally[rule] = [tally[rule][0] + t, tally[rule][1] + f, tally[rule][2] + m, tally[rule][3] + lat]
    total = [sum(v[i] for v in tally.values()) for i in range(3)] + [[x for v in tally.values() for x in v[3]]]
    print(f"seed {manifest['seed']}, {len(manifest['long'])} videos")
    print(f"{'rule':<12} {'events':>6} {'episodes':>8} {'precision':>9} {'recall':>6} {'onset':>6}")
    for rule, (tp, fp, missed, lat) in list(tally.items()) + [("all", total)]:
        onset = f"{statistics.median(lat):.2f}" if lat else "-"
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        recall = f"{tp / (tp + missed):.2f}" if tp + missed else "-"
        print(f"{rule:<12} {tp + missed:>6} {tp + fp:>8} {precision:>9} {recall:>6} {onset:>6}")


main()
