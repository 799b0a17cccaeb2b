"""What the plugin loads in a pytest run: every run of every project with chrono installed pays
for it at start-up, so a run that records nothing loads only what each run needs.

Each test runs a real pytest in a subprocess and reads its ``sys.modules`` when the session
has ended (a ``pytest_unconfigure`` of the inner run's conftest, the last hook of all).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_plugin_runs import QUIET_PLUGINS

#: What a run whose tests record nothing imports of chrono: the package and the recorder that
#: ``import chrono`` turns on, the story each test runs in, the log bridge, and the plugin with
#: its options; the parts that tell a timed-out or a dead test's story (their hooks are in every
#: run). Comparing, ranking suspects, exports, logpoints, ``--chrono-why`` and drawing
#: load only when a run needs them.
NO_EVENT_MODULES = [
    "chrono",
    "chrono._callsite",
    "chrono._cells",
    "chrono._collecting",
    "chrono._config",
    "chrono._errors",
    "chrono._events",
    "chrono._flight",
    "chrono._hang",
    "chrono._logs",
    "chrono._nothing",
    "chrono._output",
    "chrono._own_time",
    "chrono._pytest_flight",
    "chrono._pytest_hangs",
    "chrono._pytest_options",
    "chrono._recorder",
    "chrono._secrets",
    "chrono._sites",
    "chrono._story",
    "chrono._switch",
    "chrono._text",
    "chrono._values",
    "chrono.pytest_plugin",
]

#: Writes what the inner run imported, once it has ended.
CONFTEST = """
import json
import sys

import pytest

@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    chrono = sorted(name for name in sys.modules if name.split(".")[0] == "chrono")
    heavy = sorted(name for name in ("rich", "executing", "asttokens") if name in sys.modules)
    with open("loaded.json", "w") as file:
        json.dump({"chrono": chrono, "heavy": heavy}, file)
"""

PASSING = """
import logging

def test_adds():
    assert 1 + 1 == 2

def test_logs_below_the_level():
    logging.getLogger("shop").debug("low on %s", "apples")

class TestCart:
    def test_empty(self):
        assert [] == []
"""

FAILING = """
from chrono import tp

def test_total():
    total = tp(1 + 1)
    assert total == 3

def test_passes():
    tp("here")
"""


def _loaded(pytester: pytest.Pytester, *arguments: str) -> dict[str, list[str]]:
    pytester.makeconftest(CONFTEST)
    pytester.runpytest_subprocess(*QUIET_PLUGINS, *arguments)
    data: dict[str, list[str]] = json.loads(Path(pytester.path, "loaded.json").read_text())
    return data


class TestStartUp:
    def test_a_run_that_records_nothing_loads_only_what_every_run_needs(
        self, pytester: pytest.Pytester
    ) -> None:
        """Passing tests that record nothing (one logs below logging's level) load exactly the
        listed chrono modules, and none of rich, executing or asttokens."""
        pytester.makepyfile(test_quiet=PASSING)
        loaded = _loaded(pytester, "-q")
        assert loaded == {"chrono": NO_EVENT_MODULES, "heavy": []}

    def test_a_failure_loads_what_tells_it(self, pytester: pytest.Pytester) -> None:
        """A failing test that recorded events loads the comparison and the rendering, and
        still no exports, logpoints or suspect lines, which no option asked for."""
        pytester.makepyfile(test_loud=FAILING)
        loaded = _loaded(pytester, "-q")
        assert "chrono._pytest_compare" in loaded["chrono"]
        assert "chrono.render" in loaded["chrono"]
        asked_for_by_options = {
            "chrono._pytest_export",
            "chrono.export",
            "chrono._pytest_logpoints",
            "chrono._logpoints",
            "chrono._pytest_why",
            "chrono._spectra",
        }
        assert asked_for_by_options.isdisjoint(loaded["chrono"])

    def test_an_option_loads_its_part(self, pytester: pytest.Pytester) -> None:
        """``--chrono-json`` loads the exports from the start, in a run that records nothing."""
        pytester.makepyfile(test_quiet=PASSING)
        loaded = _loaded(pytester, "-q", f"--chrono-json={pytester.path / 'stories'}")
        assert "chrono._pytest_export" in loaded["chrono"]
