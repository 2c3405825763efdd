"""Says how two golden files differ when they are not byte for byte equal:
whether the same text with every number within 1e-5 (relative, or absolute
near zero) explains it, as scores computed on another CPU kind do (an AMD
Zen 4 against an Intel Xeon: up to 1.6e-6), or what first differs otherwise. One line on stdout; used by scripts/golden."""
import re
import sys

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
TOLERANCE = 1e-5


def main(expected_path: str, actual_path: str) -> None:
    expected = open(expected_path).read().splitlines()
    actual = open(actual_path).read().splitlines()
    if len(expected) != len(actual):
        print(f"{len(actual)} lines against {len(expected)}")
        return
    largest, hashes = 0.0, 0
    for number, (old, new) in enumerate(zip(expected, actual), 1):
        if old == new:
            continue
        if " sha256 " in old:  # a hash of a whole report: any digit moving anywhere changes it
            if old.split(" sha256 ")[0] != new.split(" sha256 ")[0]:
                print(f"line {number} names another report")
                return
            hashes += 1
            continue
        if NUMBER.sub("#", old) != NUMBER.sub("#", new):
            print(f"line {number} differs in more than its numbers")
            return
        for a, b in zip(NUMBER.findall(old), NUMBER.findall(new)):
            if a == b:
                continue
            x, y = float(a), float(b)
            largest = max(largest, abs(x - y) / max(1.0, abs(x)))
    if largest > TOLERANCE:
        print(f"numbers differ by up to {largest:.2g} (more than {TOLERANCE:g}): a real change")
    else:
        verdict = f"same text, numbers within {largest:.2g}" + (
            " (rounding only: another CPU kind gives this)" if largest > 0 else "")
        if hashes:
            verdict += f"; {hashes} report hash(es) differ (the reports' timelines moved: compare them to see by how much)"
        print(verdict)

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
