"""Interrupts and timeouts that land at random points inside ``tp``, in a process of its own.

Run as a script: ``python tests/interrupt_trials.py MODE OUTPUT TRIALS [SEED [SECONDS]]``.
Each trial arms a one-shot interrupt a few microseconds ahead, then calls ``tp`` in a loop
until the interrupt arrives, so that it lands somewhere inside tp's work (the clock, the
lookup of a call site never used before, a value's ``__repr__``, the story's bound, the live
output's lock). After each trial it checks what chrono promises:

- the exception reached the caller, once (``arrived``; a trial whose loop ran out without it
  counts as ``lost``);
- no value was recorded as a placeholder naming the interrupt (``placeholders``);
- the next ``tp`` in the same thread records normally (``recorded_after``);
- the story's bound still holds (``over_bound`` counts trials after which it did not).

It prints one JSON object of counts, ``trials`` being those run: past SECONDS (default 600) no
new trial starts, since a version of chrono that loses interrupts runs each lost trial to the
end of its patience. A minute later, a process still running is hung: ``faulthandler`` dumps
every thread's stack to stderr, to show where, and ends it.

MODE is one of:
- ``keyboard``: SIGALRM runs Python's own C-level SIGINT handler (``default_int_handler``), as
  Ctrl-C does: a ``KeyboardInterrupt`` from no Python frame.
- ``timeout``: SIGALRM runs a Python handler that raises ``TimeoutError``, as timeout-decorator,
  pytest-timeout's signal method and Celery's soft time limit do.
- ``interrupt-main``: another thread calls ``_thread.interrupt_main()``, as a notebook's
  "interrupt kernel" does.

OUTPUT is ``story`` (inside ``chrono.story(max_events=200)``, so that the bound cuts often) or
``live`` (no story: each event written to a stream whose ``write`` is Python code, which takes
chrono's output lock).
"""

from __future__ import annotations

import _thread
import faulthandler
import importlib.util
import io
import json
import os
import queue
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import chrono
from chrono import _recorder, tp

#: How many tp calls a trial makes at most while it waits for its interrupt: far more than any
#: delay below needs, so a trial that runs out means the interrupt was swallowed. (Smaller for a
#: version of chrono that loses many: each lost trial runs to the end.)
_PATIENCE = int(os.environ.get("CHRONO_TRIAL_PATIENCE", "200000"))
_CALL_SITES = 400


class Slow:
    """A value whose ``__repr__`` is Python code that takes a while: interrupts land in it."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return "Slow(" + ",".join(str(self.number + part) for part in range(12)) + ")"


class PythonStream(io.StringIO):
    """A stream whose ``write`` is Python code (as pytest's capture and most wrappers are), so
    chrono writes to it under its output lock."""

    def write(self, text: str) -> int:
        return super().write(text)


def _call_sites(folder: Path) -> list[Any]:
    """Functions that each call tp from a call site of their own, never used before."""
    source = "from chrono import tp\n\n" + "".join(
        f"def site_{number}(value, count):\n"
        f"    return tp(value) if count % 3 == 0 else tp(value, count, name=value)\n\n"
        for number in range(_CALL_SITES)
    )
    path = folder / "interrupt_sites.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("interrupt_sites", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [getattr(module, f"site_{number}") for number in range(_CALL_SITES)]


class _Interrupter(threading.Thread):
    """Interrupts the main thread once per delay it is handed, as a notebook's kernel does."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.delays: queue.SimpleQueue[float] = queue.SimpleQueue()

    def run(self) -> None:
        while True:
            time.sleep(self.delays.get())
            _thread.interrupt_main()


def _arm(mode: str, delay: float, interrupter: _Interrupter | None) -> None:
    if interrupter is not None:
        interrupter.delays.put(delay)
    else:
        signal.setitimer(signal.ITIMER_REAL, delay)


def run(mode: str, output: str, trials: int, seed: int, budget: float) -> dict[str, Any]:
    chosen = random.Random(seed)
    expected: type[BaseException] = TimeoutError if mode == "timeout" else KeyboardInterrupt
    if mode == "timeout":

        def on_alarm(number: int, frame: object) -> None:
            raise TimeoutError("the trial's alarm")

        signal.signal(signal.SIGALRM, on_alarm)
    elif mode == "keyboard":
        signal.signal(signal.SIGALRM, signal.default_int_handler)
    elif mode != "interrupt-main":
        raise SystemExit(f"unknown mode {mode!r}")
    interrupter = None
    if mode == "interrupt-main":
        interrupter = _Interrupter()
        interrupter.start()

    chrono.enable()
    stream = PythonStream()
    if output == "live":
        chrono.configure(output=stream)
    elif output != "story":
        raise SystemExit(f"unknown output {output!r}")
    counts = {"arrived": 0, "lost": 0, "placeholders": 0, "recorded_after": 0, "over_bound": 0}
    with tempfile.TemporaryDirectory() as folder:
        sites = _call_sites(Path(folder))
        story = chrono.story("interrupt trials", max_events=200)
        if output == "story":
            story.__enter__()
        started = time.perf_counter()
        done = 0
        for trial in range(trials):
            if time.perf_counter() - started > budget:
                break  # slow (many lost trials run to the end of their patience): say so
            done += 1
            site = sites[trial % len(sites)]  # a new call site for each of the first 400
            value = Slow(trial)
            try:
                # Armed inside the try: a short delay may end before the loop begins.
                _arm(mode, chosen.uniform(0.00002, 0.0004), interrupter)
                # No if at the end of this loop: CPython 3.13.0 leaves the backward jump after
                # one out of the try's exception table, and an interrupt landing there escapes
                # the try (seen without chrono at all).
                for count in range(_PATIENCE):
                    site(value, count)
                counts["lost"] += 1
            except expected:
                counts["arrived"] += 1
            # Next: does the same thread still record?
            marker = f"after trial {trial}"
            if output == "story":
                with chrono.story("check", max_events=10) as check:
                    tp(marker)
                recorded = check.values("marker") == [repr(marker)]
                if len(story._records) > story._cut_at:
                    counts["over_bound"] += 1
            else:
                tp(marker)
                recorded = stream.getvalue().rstrip("\n").rsplit("\n", 1)[-1].endswith(repr(marker))
                if stream.tell() > 1_000_000:
                    stream.seek(0)
                    stream.truncate()
            counts["recorded_after"] += recorded
        elapsed = time.perf_counter() - started
        if output == "story":
            story.__exit__(None, None, None)
            for text in story.values("value"):
                if expected.__name__ in text:
                    counts["placeholders"] += 1
        elif expected.__name__ in stream.getvalue():
            counts["placeholders"] += 1
    return {
        "python": ".".join(map(str, sys.version_info[:3])),
        "mode": mode,
        "output": output,
        "trials": done,
        **counts,
        "busy_left": threading.get_ident() in _recorder._busy,
        "seconds": round(elapsed, 2),
    }


def main() -> None:
    mode, output, trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    budget = float(sys.argv[5]) if len(sys.argv) > 5 else 600.0
    # A hang shows where it is: every thread's stack, then the process ends.
    faulthandler.dump_traceback_later(budget + 60, exit=True)
    print(json.dumps(run(mode, output, trials, seed, budget)))


if __name__ == "__main__":
    main()
