"""How an alert episode is matched with a true event of a synthetic video, one
rule for the demo (scripts/demo_summary.py), the benchmark
(Benchmarks/synthetic_report.py) and threshold tuning (tools/synthetic/tune_rules.py):
an episode (`new` event) of rule R detects a true event of action R when it
starts between the event's start and 2 s after its end; each true event is
detected at most once. Onset latency: episode start minus true start."""

MATCH_AFTER_END = 2.0


def pair(episodes, truth):
    """[(episode, index of the true event it detects, or None)], episodes by start time."""
    used, pairs = set(), []
    for episode in sorted(episodes, key=lambda e: e["start_time"]):
        candidates = [i for i, t in enumerate(truth) if i not in used and t["action"].replace(" ", "-") == episode["rule"]
                      and t["start"] <= episode["start_time"] <= t["end"] + MATCH_AFTER_END]
        if candidates:
            used.add(candidates[0])
        pairs.append((episode, candidates[0] if candidates else None))
    return pairs


def match(episodes, truth):
    """(true positives, false positives, missed, onset latencies)."""
    pairs = pair(episodes, truth)
    latencies = [e["start_time"] - truth[i]["start"] for e, i in pairs if i is not None]
    false = sum(1 for _, i in pairs if i is None)
    return len(latencies), false, len(truth) - len(latencies), latencies
