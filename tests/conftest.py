"""Shared test set-up.

The suite runs with ``-p no:chrono`` (see pyproject.toml), so chrono's own per-test stories
do not swallow the events that tests inspect; the plugin is tested through pytester runs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import chrono
from chrono import _config, _recorder


@pytest.fixture(autouse=True)
def _strict_chrono() -> Iterator[None]:
    """Every test sees the errors chrono swallows in production, and starts from defaults."""
    was_enabled = chrono.is_enabled()
    _recorder.RAISE_INTERNAL_ERRORS = True
    chrono.enable()
    try:
        yield
    finally:
        _recorder.RAISE_INTERNAL_ERRORS = False
        _config.reset()
        if was_enabled:
            chrono.enable()
        else:
            chrono.disable()
