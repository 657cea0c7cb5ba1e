"""Summarise mutmut's results for the given mutant-name globs: killed / total per module, survivors listed."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from collections import Counter


def main(globs: list[str]) -> int:
    """Print the score table of the mutants matching ``globs`` and list every one not killed."""
    out = subprocess.run(["mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    results = dict(re.findall(r"^\s*(\S+): (.+)$", out, re.MULTILINE))
    chosen = {n: s for n, s in results.items() if any(fnmatch.fnmatch(n, g) for g in globs)}
    by_module: dict[str, Counter[str]] = {}
    for name, status in chosen.items():
        by_module.setdefault(name.split(".x")[0], Counter())[status] += 1
    total = Counter[str]()
    print(f"{'module':40s} {'killed':>7s} {'survived':>9s} {'other':>6s} {'score':>6s}")
    for module, counts in sorted(by_module.items()):
        total.update(counts)
        _row(module, counts)
    _row("total", total)
    for name, status in sorted(chosen.items()):
        if status != "killed":
            print(f"  {status}: {name}")
    return 0


def _row(label: str, counts: Counter[str]) -> None:
    n = sum(counts.values())
    other = n - counts["killed"] - counts["survived"]
    print(f"{label:40s} {counts['killed']:7d} {counts['survived']:9d} {other:6d} {counts['killed'] / n:6.1%}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
