#!/usr/bin/env python3
"""Label files for `tools/train-adapter --retrospective` from the synthetic
world's long camera videos (tools/synthetic/generate.py --long), with the
questions `Benchmarks/eval-memory` asks: one row per event under its caption
("a blue circle leaves", kind "action"), and one row per stretch an object is
in view, from the event that brings it in to the one that takes it out
("a blue circle", kind "object"; sizes left out, as the benchmark asks).
Usage: memory_labels.py DATA_DIR > labels.jsonl"""
import json
import os
import sys


def main():
    data = sys.argv[1]
    manifest = json.load(open(os.path.join(data, "manifest.json")))
    for video in manifest["long"]:
        path = os.path.join(os.path.abspath(data), video["file"])
        events = video["events"]
        for event in events:
            print(json.dumps({"file": path, "start": event["start"], "end": event["end"],
                              "caption": event["caption"], "kind": "action"}))
        index = 0
        while index < len(events):
            last = index
            while last + 1 < len(events) and events[last + 1]["look"] == events[index]["look"]:
                last += 1
            look = " ".join(w for w in events[index]["look"] if w not in ("large", "small"))
            print(json.dumps({"file": path, "start": events[index]["start"], "end": events[last]["end"],
                              "caption": "a " + look, "kind": "object"}))
            index = last + 1


main()
