#!/usr/bin/python3
"""Sets each rule's threshold in models/synthetic/rules from validation videos
(never the test split): for every rule, the threshold whose episodes best
match the true events (F1; ties go to the higher threshold), simulating the
daemon's episode machine (min_duration 0, end after 2 s below, the rule's
cooldown) on the smoothed scores `monitor replay --json` printed.
Usage: tune_rules.py RULES_DIR MANIFEST REPLAY_JSON...  (see tune_rules.sh)"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from synthetic_report import match  # noqa: E402  (the evaluation's own matching)

END_DELAY = 2.0  # EpisodeTracker.Settings.endDelay


def episodes(steps, index, threshold, cooldown):
    starts, open_since, low_since, cooldown_until = [], None, None, 0.0
    for step in steps:
        t, score = step["time"], step["scores"][index]
        if open_since is None:
            if score >= threshold and t >= cooldown_until:
                open_since, low_since = t, None
                starts.append(t)
        elif score >= threshold:
            low_since = None
        else:
            low_since = t if low_since is None else low_since
            if t - low_since >= END_DELAY:
                open_since, cooldown_until = None, t + cooldown
    return starts


def main():
    rules_dir, manifest_path, reports = sys.argv[1], sys.argv[2], sys.argv[3:]
    manifest = json.load(open(manifest_path))
    runs = []
    for report_path, video in zip(reports, manifest["long"]):
        runs.append((json.load(open(report_path)), video["events"]))
    rules = runs[0][0]["rules"]
    for index, rule in enumerate(rules):
        path = os.path.join(rules_dir, rule["id"] + ".toml")
        text = open(path).read()
        cooldown = float(re.search(r"^cooldown = ([0-9.]+)", text, re.M).group(1))
        best = None
        # Scores are probabilities: finer steps near 1, where confident rules sit.
        for threshold in [step * 0.025 for step in range(4, 40)] + [0.98, 0.985, 0.99, 0.995]:
            totals = [0, 0, 0]
            for report, events in runs:
                truth = [e for e in events if e["action"].replace(" ", "-") == rule["id"]]
                found = [{"rule": rule["id"], "start_time": t}
                         for t in episodes(report["steps"], index, threshold, cooldown)]
                tp, false, _, _ = match(found, truth)
                totals = [totals[0] + tp, totals[1] + false, totals[2] + len(truth)]
            tp, false, count = totals
            score = 2 * tp / max(2 * tp + false + count - tp, 1)
            if best is None or score >= best[0]:
                best = (score, threshold, tp, false, count)
        score, threshold, tp, false, count = best
        text = re.sub(r"^threshold = .*$", f"threshold = {threshold:.3f}", text, flags=re.M)
        open(path, "w").write(text)
        print(f"{rule['id']:<12} threshold {threshold:.3f}: {tp}/{count} found, {false} false (F1 {score:.2f})")


if __name__ == "__main__":
    main()
