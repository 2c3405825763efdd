#!/usr/bin/env python3
"""Label files for tools/train-adapter from the synthetic world's camera videos
(tools/synthetic/generate.py writes their events into manifest.json): one row
per event, captioned as models/synthetic/rules words it ("something falls"),
with its time reversal ("something rises") where order matters.
Usage: synthetic_labels.py DATA_DIR > labels.jsonl"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "synthetic"))
import world  # noqa: E402


def main():
    data = sys.argv[1]
    manifest = json.load(open(os.path.join(data, "manifest.json")))
    for video in manifest["long"]:
        for event in video["events"]:
            twin = world.TWIN.get(event["action"])
            row = {"file": os.path.join(os.path.abspath(data), video["file"]), "start": event["start"],
                   "end": event["end"], "caption": f"something {event['action']}"}
            if twin:
                row["reversed"] = f"something {twin}"
            print(json.dumps(row))


main()
