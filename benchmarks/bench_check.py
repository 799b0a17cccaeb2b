"""How long ``chrono check`` takes over a 100,000-line tree, import cost included.

Generates a tree of realistic modules in a temporary folder (classes, docstrings, comments,
f-strings, URLs whose ``http`` contains "tp", and a few real ``tp()`` calls), then runs
``python -m chrono check TREE`` several times in a fresh process and prints the median.
A second tree in which every file imports chrono and calls tp (so every file must be
parsed, not just pre-filtered) shows the worst case. CPU seconds are shown beside the
wall-clock median because a busy machine inflates the latter.

    python benchmarks/bench_check.py [--lines 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULE_TEMPLATE = '''\
"""{title} helpers.

See https://example.org/docs/{slug} for the protocol.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
{extra_import}
logger = logging.getLogger(__name__)
API_URL = "https://api.example.org/v2/{slug}"


@dataclass
class {name}Record:
    """One {title} record as stored."""

    identifier: int
    label: str
    tags: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        # Keys are sorted so that diffs of dumps stay small.
        return json.dumps({{"id": self.identifier, "label": self.label}}, sort_keys=True)
'''

FUNCTION_TEMPLATE = '''

def {verb}_{noun}_{index}(records: list[{name}Record], limit: int = {limit}) -> dict[str, int]:
    """{verb_title} the {noun} of the first ``limit`` records."""
    counts: dict[str, int] = {{}}
    for position, record in enumerate(records):
        if position >= limit:
            break
        key = f"{{record.label}}-{{position % {modulo}}}"
        counts[key] = counts.get(key, 0) + len(record.tags)
        {leftover}
    if not counts:
        logger.debug("no %s found at %s", "{noun}", API_URL)
    return counts
'''

VERBS = ["count", "collect", "merge", "score", "index", "group", "rank", "filter"]
NOUNS = ["tags", "labels", "owners", "events", "orders", "pages", "users", "items"]


def write_tree(root: Path, total_lines: int, *, every_file_uses_chrono: bool) -> int:
    """Write modules under ``root`` until ``total_lines`` lines; returns the file count."""
    generator = random.Random(20240501)
    lines = 0
    files = 0
    while lines < total_lines:
        package = root / f"package_{files // 40}"
        package.mkdir(exist_ok=True)
        name = f"Thing{files}"
        uses_chrono = every_file_uses_chrono or files % 40 == 7
        extra_import = "from chrono import tp\n" if uses_chrono else ""
        parts = [
            MODULE_TEMPLATE.format(
                title=name.lower(), slug=f"thing-{files}", name=name, extra_import=extra_import
            )
        ]
        for index in range(generator.randint(8, 14)):
            leftover = "pass"
            if uses_chrono and index == 3:
                leftover = "tp(key, counts[key])"
            elif files % 20 == 3 and index == 5:
                leftover = "# was: tp(key) while debugging"  # passes the text pre-filter
            parts.append(
                FUNCTION_TEMPLATE.format(
                    verb=generator.choice(VERBS),
                    verb_title=generator.choice(VERBS).title(),
                    noun=generator.choice(NOUNS),
                    index=index,
                    name=name,
                    limit=generator.randint(10, 500),
                    modulo=generator.randint(2, 9),
                    leftover=leftover,
                )
            )
        text = "".join(parts)
        (package / f"module_{files}.py").write_text(text, encoding="utf-8")
        lines += text.count("\n")
        files += 1
    return files


def median_seconds(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of running ``command`` (exit 0 or 1 expected)."""
    wall_timings = []
    cpu_timings = []
    for _ in range(runs):
        before = os.times()
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, check=False)
        wall_timings.append(time.perf_counter() - started)
        after = os.times()
        cpu_timings.append(
            after.children_user
            - before.children_user
            + after.children_system
            - before.children_system
        )
        if completed.returncode not in (0, 1):
            raise SystemExit(f"{shlex.join(command)} failed:\n{completed.stderr.decode()}")
    return statistics.median(wall_timings), statistics.median(cpu_timings)


TREES = (
    ("realistic: 1 file in 40 calls tp", False),
    ("worst case: every file calls tp", True),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="lines in each tree")
    parser.add_argument("--runs", type=int, default=5, help="runs per tree (median shown)")
    arguments = parser.parse_args()
    print(f"{'tree':<34} {'files':>6} {'lines':>8} {'median s':>9} {'cpu s':>6}  command")
    with tempfile.TemporaryDirectory(prefix="bench-check-") as folder:
        for label, everywhere in TREES:
            root = Path(folder) / ("worst" if everywhere else "realistic")
            root.mkdir()
            files = write_tree(root, arguments.lines, every_file_uses_chrono=everywhere)
            command = [sys.executable, "-m", "chrono", "check", str(root)]
            wall, cpu = median_seconds(command, arguments.runs)
            print(
                f"{label:<34} {files:>6} {arguments.lines:>8,} {wall:>9.3f} {cpu:>6.2f}  "
                f"{shlex.join(command)}"
            )


if __name__ == "__main__":
    main()
