"""``python -m chrono demo``: run the bundled tests through pytest with the chrono plugin."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from chrono._switch import ENVIRONMENT_VARIABLE, is_enabled

_PYTEST_TESTS_FAILED = 1  # pytest.ExitCode.TESTS_FAILED
_INTRODUCTION = """\
chrono demo: a real pytest run of a small shop whose discount code does not apply.
The shop's code calls tp() at the places a developer would have put print().
"""

_AFTERWORD = """
Read the story under the failure: each line is one tp() call, in order, with its
sequence number, the time since the test began, the call site and the values.
'line >= code.minimum=False' three times says the minimum is checked per item, not
per cart. Below it, chrono compared the story with the passing case beside it: the two
ran alike until that check, True there and False here. The passing tests printed
nothing: stories are told only when tests fail.

The code is in {shop}.
Try: CHRONO=off python -m chrono demo   (tp() does nothing; no story)
"""

_AFTERWORD_OFF = """
chrono is off ({setting}), so tp() recorded nothing: the failure above is pytest's
report alone, with no story under it and no comparison with the passing case. This is
what the demo looks like when chrono is off, as in production.

The code is in {shop}.
To see the story, turn chrono on: run the demo with CHRONO unset, or CHRONO=on.
"""


def run_demo(pytest_arguments: Sequence[str] = ()) -> int:
    """Run the demo; 0 when its test failed as designed and the story was told."""
    if importlib.util.find_spec("pytest") is None:
        sys.stderr.write(
            "chrono demo runs a test through pytest, which is not installed.\n"
            "Install it with: python -m pip install pytest\n"
        )
        return 2
    here = Path(__file__).resolve().parent
    print(_INTRODUCTION)
    sys.stdout.flush()
    # pytest runs in a fresh interpreter: this one has imported chrono already, and pytest
    # warns that a plugin's package imported before it starts cannot be assertion-rewritten.
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(here / "test_shop.py"),
        "-c",
        str(here / "pytest.ini"),
        "--rootdir",
        str(here),
        "-p",
        "no:cacheprovider",
        "--no-header",
        "--tb=short",
        *pytest_arguments,
    ]
    exit_code = subprocess.run(command, check=False).returncode
    shop = here / "shop.py"
    if is_enabled():
        print(_AFTERWORD.format(shop=shop))
    else:
        # pytest ran with the same environment, so its chrono is off too.
        setting = f"{ENVIRONMENT_VARIABLE}={os.environ.get(ENVIRONMENT_VARIABLE, '')}"
        print(_AFTERWORD_OFF.format(setting=setting, shop=shop))
    # The demo's test fails on purpose: that outcome is success for the demo.
    return 0 if exit_code == _PYTEST_TESTS_FAILED else exit_code or 1
