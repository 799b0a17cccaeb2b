"""Time the README's two commands as a newcomer runs them: each in a fresh venv, from
``python -m venv`` on, in a copy of this checkout's committed files.

    python benchmarks/readme_commands.py            # both commands, test suite left out
    python benchmarks/readme_commands.py --suite    # also the README's `python -m pytest`

Without ``--suite`` the second command is timed up to its install: its ``python -m pytest``
is the whole test suite, which takes minutes and is timed on its own
(docs/performance.md). Prints one line per step and the machine's load, and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def timed(label: str, command: list[str], cwd: Path) -> float:
    """Run ``command`` in ``cwd`` quietly; print and return its wall time in seconds."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    status = "" if result.returncode == 0 else f"  (exit {result.returncode})"
    print(f"  {label:<38} {elapsed:7.1f} s{status}", flush=True)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="store_true", help="also run the whole test suite")
    arguments = parser.parse_args(argv)
    print(f"$ python benchmarks/readme_commands.py{' --suite' if arguments.suite else ''}")
    print(f"Python {platform.python_version()}, {platform.machine()}, load {load()}")
    with tempfile.TemporaryDirectory(prefix="chrono-readme-") as temporary:
        folder = Path(temporary)
        clone = folder / "chrono"
        archive = folder / "head.tar"
        subprocess.run(
            ["git", "archive", "--output", str(archive), "HEAD"], cwd=REPOSITORY, check=True
        )
        with tarfile.open(archive) as files:
            files.extractall(clone)
        for extra, then in (("demo", ["-m", "chrono", "demo"]), ("test", ["-m", "pytest"])):
            venv = folder / f"venv-{extra}"
            python = str(venv / "bin" / "python")
            print(f"python -m pip install -e '.[{extra}]' && python {' '.join(then)}")
            total = timed("python -m venv", [sys.executable, "-m", "venv", str(venv)], clone)
            install = [python, "-m", "pip", "install", "-q", "-e", f".[{extra}]"]
            total += timed(f"pip install -e '.[{extra}]'", install, clone)
            if extra == "demo" or arguments.suite:
                total += timed(f"python {' '.join(then)}", [python, *then], clone)
            print(f"  {'total':<38} {total:7.1f} s", flush=True)
    print(f"load {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
