"""False-alarm feedback on the synthetic world (Benchmarks/eval-feedback).

Stage `pick SOURCE_DATA SOURCE_RESULTS PICTURES`: every false alarm of the
replays of the source videos (an episode no true event of its rule explains,
scripts/event_match.py) is what an operator would mark: its best frame (the
replay's snapshot, with the rolling embeddings it was scored on) is copied to
PICTURES/<rule>/<id>.jpg and .state, as `monitor feedback --false-alarm`
stores it, and the confounder (the true
event of another action under way when it started) is noted.

Stage `report SOURCE_RESULTS PICTURES HELD_DATA BEFORE AFTER`: on held-out
videos (another seed: other clips, other looks), the false alarms of each
rule on each confounder that got feedback, and the recall of those rules on
their true events, before and after the pictures.
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from event_match import MATCH_AFTER_END, match, pair  # noqa: E402


def videos(data, results):
    """(name, true events, episodes) per video."""
    manifest = json.load(open(os.path.join(data, "manifest.json")))
    for video in manifest["long"]:
        name = os.path.splitext(os.path.basename(video["file"]))[0]
        report = json.load(open(os.path.join(results, name + ".json")))
        yield name, video["events"], [e for e in report["events"] if e["type"] == "new"]


def false_alarms(truth, episodes):
    """Episodes no true event of their rule explains, each with its confounder: the action
    of the true event under way when it started (None: nothing was happening)."""
    alarms = []
    for episode, detected in pair(episodes, truth):
        if detected is not None:
            continue
        under_way = [t for t in truth if t["start"] <= episode["start_time"] <= t["end"] + MATCH_AFTER_END]
        alarms.append((episode, under_way[-1]["action"].replace(" ", "-") if under_way else None))
    return alarms


def pick(source_data, source_results, pictures):
    picked = []
    for name, truth, episodes in videos(source_data, source_results):
        for episode, confounder in false_alarms(truth, episodes):
            snapshot = os.path.join(source_results, "snapshots", name, episode["id"] + ".jpg")
            folder = os.path.join(pictures, episode["rule"])
            os.makedirs(folder, exist_ok=True)
            shutil.copy(snapshot, os.path.join(folder, episode["id"] + ".jpg"))
            # The best frame's rolling embeddings, as the history keeps them beside the snapshot.
            shutil.copy(snapshot[:-len(".jpg")] + ".state", os.path.join(folder, episode["id"] + ".state"))
            picked.append({"video": name, "rule": episode["rule"], "confounder": confounder,
                           "start_time": episode["start_time"], "id": episode["id"]})
    json.dump(picked, open(os.path.join(pictures, "picked.json"), "w"), indent=1)
    print(f"source videos: {len(picked)} false alarm(s) marked")
    for p in picked:
        print(f"  {p['video']} {p['start_time']:6.2f} s  rule {p['rule']:<12} on {p['confounder'] or '(nothing under way)'}")


def figures(data, results, rules):
    """Per (rule, confounder): held-out false alarms; per rule: (detected, true events)."""
    alarms, recall = {}, {}
    for _, truth, episodes in videos(data, results):
        for episode, confounder in false_alarms(truth, episodes):
            key = (episode["rule"], confounder)
            alarms[key] = alarms.get(key, 0) + 1
        for rule in rules:
            mine = [e for e in episodes if e["rule"] == rule]
            events = [t for t in truth if t["action"].replace(" ", "-") == rule]
            tp, _, missed, _ = match(mine, events)
            got, total = recall.get(rule, (0, 0))
            recall[rule] = (got + tp, total + tp + missed)
    return alarms, recall


def report(pictures, held_data, before, after):
    picked = json.load(open(os.path.join(pictures, "picked.json")))
    pairs = sorted({(p["rule"], p["confounder"]) for p in picked}, key=str)
    rules = sorted({p["rule"] for p in picked})
    alarms_before, recall_before = figures(held_data, before, rules)
    alarms_after, recall_after = figures(held_data, after, rules)
    print("\nheld-out videos: false alarms of each rule on each confounder that got feedback")
    print(f"  {'rule':<12} {'confounder':<22} {'before':>6} {'after':>6}")
    for rule, confounder in pairs:
        print(f"  {rule:<12} {str(confounder):<22} {alarms_before.get((rule, confounder), 0):>6} "
              f"{alarms_after.get((rule, confounder), 0):>6}")
    total_before = sum(alarms_before.values())
    total_after = sum(alarms_after.values())
    print(f"  all false alarms on the held-out videos: {total_before} before, {total_after} after")
    print("\nheld-out videos: recall of the rules that got feedback on their true events")
    print(f"  {'rule':<12} {'before':>12} {'after':>12} {'change':>8}")
    worst = 0.0
    for rule in rules:
        (gb, nb), (ga, na) = recall_before.get(rule, (0, 0)), recall_after.get(rule, (0, 0))
        rb, ra = gb / max(nb, 1), ga / max(na, 1)
        worst = min(worst, ra - rb)
        print(f"  {rule:<12} {gb:>3}/{nb:<3} {rb:.2f} {ga:>3}/{na:<3} {ra:.2f} {ra - rb:>+8.2f}")
    gb = sum(v[0] for v in recall_before.values())
    nb = sum(v[1] for v in recall_before.values())
    ga = sum(v[0] for v in recall_after.values())
    na = sum(v[1] for v in recall_after.values())
    print(f"  {'together':<12} {gb:>3}/{nb:<3} {gb / max(nb, 1):.2f} {ga:>3}/{na:<3} {ga / max(na, 1):.2f} "
          f"{ga / max(na, 1) - gb / max(nb, 1):>+8.2f}")
    fed = sum(alarms_before.get(k, 0) for k in pairs)
    fed_after = sum(alarms_after.get(k, 0) for k in pairs)
    together = ga / max(na, 1) - gb / max(nb, 1)
    print(f"\ntarget: false alarms of the confounders that got feedback gone on held-out videos: "
          f"{fed} -> {fed_after}: {'met' if fed_after == 0 and fed > 0 else 'MISSED' if fed > 0 else 'UNTESTED (none before)'}")
    print(f"target: recall of those rules drops by at most 0.05: {together:+.3f}: {'met' if together >= -0.05 else 'MISSED'}")


if __name__ == "__main__":
    if sys.argv[1] == "pick":
        pick(*sys.argv[2:5])
    else:
        report(*sys.argv[2:6])
