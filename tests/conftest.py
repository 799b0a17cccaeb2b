"""Shared test set-up.

The suite runs with ``-p no:chrono`` (see pyproject.toml), so chrono's own per-test stories
do not swallow the events that tests inspect; the plugin is tested through pytester runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import strict_chrono


@pytest.fixture(autouse=True)
def _strict_chrono() -> Iterator[None]:
    """Every test sees the errors chrono swallows in production, starts from the default
    settings, and runs outside any story a test runner opened around it."""
    with strict_chrono():
        yield


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder, made the current one."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
