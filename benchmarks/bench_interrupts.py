"""Interrupts and timeouts landing inside ``tp``: the full-size trials, on every interpreter given.

    python benchmarks/bench_interrupts.py [--trials 2500] [--python PATH]... [--src DIR]

Runs ``tests/interrupt_trials.py`` (which says what a trial is and what it checks) in a fresh
process for each interrupt (Ctrl-C's own handler, a Python ``SIGALRM`` handler raising
``TimeoutError``, ``_thread.interrupt_main()`` from another thread) and each output (inside a
story with a small bound, and live to a stream written in Python), on each ``--python`` (each
must have chrono's dependencies: rich, executing, asttokens). ``--src`` points at the chrono
to measure (default: this checkout's ``src``), so that another commit's checkout can be
measured the same way. The test suite (``tests/test_interrupts.py``) runs the same trials at a
size that fits CI.

A row passes when every interrupt arrived, none became a placeholder, every trial's next
``tp`` was recorded, the bound held and the process did not hang. Nothing is asserted here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import environment_lines, format_table

_ROOT = Path(__file__).resolve().parent.parent
_TRIALS_SCRIPT = _ROOT / "tests" / "interrupt_trials.py"
MODES = ("keyboard", "timeout", "interrupt-main")
OUTPUTS = ("story", "live")


def trial_run(
    python: str, mode: str, output: str, trials: int, src: Path, timeout: float, patience: int
) -> dict[str, object]:
    """One process of trials; a hang or a crash is a row of its own."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(src),
        "CHRONO_TRIAL_PATIENCE": str(patience),
    }
    environment.pop("CHRONO", None)
    command = [python, str(_TRIALS_SCRIPT), mode, output, str(trials), "0", str(timeout)]
    try:
        finished = subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=timeout + 90
        )
    except subprocess.TimeoutExpired:
        return {"mode": mode, "output": output, "trials": trials, "hung": True}
    lines = finished.stdout.strip().splitlines()
    if finished.returncode != 0 or not lines:
        # faulthandler's dump on a hang, or a crash: where it stood is on stderr.
        where = finished.stderr.strip().splitlines()[-3:]
        return {"mode": mode, "output": output, "trials": trials, "hung": True, "where": where}
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2500)
    parser.add_argument("--python", action="append", help="an interpreter (repeatable)")
    parser.add_argument("--src", type=Path, default=_ROOT / "src", help="the chrono to measure")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds after which a row starts no new trial (a minute more: it hung)",
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=200_000,
        help="tp calls a trial waits for its interrupt (lower it for a chrono that loses many)",
    )
    arguments = parser.parse_args()
    pythons = arguments.python or [sys.executable]
    for line in environment_lines():
        print(line)
    print(f"chrono from {arguments.src}, {arguments.trials} trials a row")
    rows = []
    for python in pythons:
        for mode in MODES:
            for output in OUTPUTS:
                result = trial_run(
                    python,
                    mode,
                    output,
                    arguments.trials,
                    arguments.src,
                    arguments.timeout,
                    arguments.patience,
                )
                hung = bool(result.get("hung"))
                trials = int(result["trials"])  # type: ignore[call-overload]
                passed = (
                    not hung
                    and trials == arguments.trials
                    and result["arrived"] == trials
                    and result["placeholders"] == 0
                    and result["recorded_after"] == trials
                    and result["over_bound"] == 0
                )
                rows.append(
                    [
                        str(result.get("python", python)),
                        mode,
                        output,
                        "hung" if hung else f"{result['arrived']}/{trials}",
                        "-" if hung else str(result["placeholders"]),
                        "-" if hung else f"{result['recorded_after']}/{trials}",
                        "-" if hung else str(result["over_bound"]),
                        "PASS" if passed else "MISS",
                    ]
                )
                print(" ".join(rows[-1]), flush=True)
    print()
    headers = ["python", "interrupt", "output", "arrived", "placeholder", "next tp", "over"]
    print(format_table([*headers, "result"], rows))


if __name__ == "__main__":
    main()
