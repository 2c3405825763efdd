#!/usr/bin/python3
"""scripts/demo's output. `--follow`: one line per MQTT event appended to the file
as it arrives. Otherwise the demo's last words: the episodes monitor published
(`new` events) matched against the demo video's true events, as
scripts/event_match.py matches them.
Usage: demo_summary.py --follow EVENTS_JSONL | demo_summary.py EVENTS_JSONL TRUTH_JSON"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from event_match import match  # noqa: E402


def follow(path):
    """Prints events appended to `path` until killed."""
    with open(path) as f:
        while True:
            line = f.readline()
            if not line.endswith("\n"):
                time.sleep(0.1)
                f.seek(f.tell() - len(line))
                continue
            show(json.loads(line))


def show(e):
    if e["type"] != "update":
        print(f"  MQTT {e['type']:>3}  {e['rule']:<12} score {e['score']:.2f}  at {e['frame_time']:5.1f} s"
              f"  [{e['id'][:8]}]", flush=True)


def main():
    if sys.argv[1] == "--follow":
        return follow(sys.argv[2])
    events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    truth = json.load(open(sys.argv[2]))["events"]
    episodes = {}
    for e in events:  # at-least-once delivery: one episode per id
        if e["type"] == "new":
            episodes.setdefault(e["id"], e)
    found, false, missed, latencies = match(list(episodes.values()), truth)
    print(f"\ndemo: {len(episodes)} episode(s) published, {len(truth)} true event(s) in the video")
    print(f"  {'true event':<34} {'at':>6}   detected")
    used = set()
    for t in truth:
        rule = t["action"].replace(" ", "-")
        hit = next((e for e in sorted(episodes.values(), key=lambda e: e["start_time"])
                    if e["id"] not in used and e["rule"] == rule and t["start"] <= e["start_time"] <= t["end"] + 2),
                   None)
        if hit:
            used.add(hit["id"])
        print(f"  {t['caption']:<34} {t['start']:5.1f}s   "
              + (f"yes, {hit['start_time'] - t['start']:+.1f} s" if hit else "missed"))
    print(f"demo: detected {found}/{len(truth)}, {false} false alarm(s)")


if __name__ == "__main__":
    main()
