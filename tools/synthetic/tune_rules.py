#!/usr/bin/python3
"""Sets each rule's threshold in models/synthetic/rules from validation videos
(never the test split): for every rule, the threshold whose episodes best
match the true events (F1), simulating the
daemon's episode machine (min_duration 0, end after 2 s below, the rule's
cooldown) on the smoothed scores `monitor replay --json` printed.

Usually a whole range of thresholds ties for the best F1; the middle of that
range is taken, the one with the widest margin on both sides. Validation
videos show only combinations seen in training, and new looks score lower,
so the top of the range misses them; the bottom lets in the false alarms a
slightly different scene brings. A rule without validation events keeps the
highest threshold: its recall cannot be measured, its false alarms can.
Afterwards a k-fold cross-validation over the validation videos (thresholds
picked on k-1 folds, counted on the held-out one) prints what the middle and
the top of the range would each find on videos they were not picked on.
Usage: tune_rules.py RULES_DIR MANIFEST REPLAY_JSON...  (see tune_rules.sh; the reports follow the
manifest's videos in order, and may repeat that order, once per camera rate replayed)"""
import itertools
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from event_match import match  # noqa: E402  (the evaluation's own matching)

END_DELAY = 2.0  # EpisodeTracker.Settings.endDelay
# Scores are probabilities: finer steps near 1, where confident rules sit.
THRESHOLDS = [step * 0.025 for step in range(4, 40)] + [0.98, 0.985, 0.99, 0.995]


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


def results(runs, index, rule_id, cooldown):
    """(F1, threshold, found, false, true events) per threshold in THRESHOLDS, over `runs`."""
    rows = []
    for threshold in THRESHOLDS:
        tp, false, count = counts(runs, index, rule_id, cooldown, threshold)
        rows.append((2 * tp / max(2 * tp + false + count - tp, 1), threshold, tp, false, count))
    return rows


def counts(runs, index, rule_id, cooldown, threshold):
    """(found, false, true events) of the rule's episodes at `threshold` over `runs`."""
    tp = false = count = 0
    for report, events in runs:
        truth = [e for e in events if e["action"].replace(" ", "-") == rule_id]
        found = [{"rule": rule_id, "start_time": t} for t in episodes(report["steps"], index, threshold, cooldown)]
        t, f, _, _ = match(found, truth)
        tp, false, count = tp + t, false + f, count + len(truth)
    return tp, false, count


def best(rows, middle=True):
    """The middle (or, `middle` false, the top) of the longest run of consecutive
    thresholds that tie for the best F1; the top when there are no events."""
    if rows[0][4] == 0:  # no events: nothing to find, only false alarms to avoid
        return rows[-1]
    top = max(r[0] for r in rows)
    ties = [list(group) for tied, group in itertools.groupby(rows, key=lambda r: r[0] == top) if tied]
    longest = max(ties, key=len)
    return longest[len(longest) // 2] if middle else longest[-1]


def cross_validate(runs, rules, cooldowns, folds=4):
    for middle, name in ((True, "middle"), (False, "top")):
        tp = false = count = 0
        for fold in range(folds):
            picked_on = [r for i, r in enumerate(runs) if i % folds != fold]
            held_out = [r for i, r in enumerate(runs) if i % folds == fold]
            for index, rule in enumerate(rules):
                threshold = best(results(picked_on, index, rule["id"], cooldowns[index]), middle)[1]
                t, f, c = counts(held_out, index, rule["id"], cooldowns[index], threshold)
                tp, false, count = tp + t, false + f, count + c
        print(f"{folds}-fold cross-validation, {name} of the best range: {tp}/{count} found, {false} false "
              f"(precision {tp / max(tp + false, 1):.3f}, recall {tp / max(count, 1):.3f})")


def main():
    rules_dir, manifest_path, reports = sys.argv[1], sys.argv[2], sys.argv[3:]
    manifest = json.load(open(manifest_path))
    runs = []
    # Reports come in the manifest's order, once per rate replayed (tune_rules.sh).
    videos = manifest["long"]
    for index, report_path in enumerate(reports):
        runs.append((json.load(open(report_path)), videos[index % len(videos)]["events"]))
    rules = runs[0][0]["rules"]
    cooldowns = []
    for index, rule in enumerate(rules):
        path = os.path.join(rules_dir, rule["id"] + ".toml")
        text = open(path).read()
        cooldowns.append(float(re.search(r"^cooldown = ([0-9.]+)", text, re.M).group(1)))
        score, threshold, tp, false, count = best(results(runs, index, rule["id"], cooldowns[-1]))
        text = re.sub(r"^threshold = .*$", f"threshold = {threshold:.3f}", text, flags=re.M)
        open(path, "w").write(text)
        print(f"{rule['id']:<12} threshold {threshold:.3f}: {tp}/{count} found, {false} false (F1 {score:.2f})")
    cross_validate(runs, rules, cooldowns)


if __name__ == "__main__":
    main()
