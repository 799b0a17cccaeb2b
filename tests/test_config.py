"""Settings changes: the caches built from the old settings notice the new ones themselves."""

from __future__ import annotations

import io

import pytest

import chrono
from chrono import _config, tp
from chrono._values import MASK, Secrets


def _record(apple: object) -> None:
    tp(apple)  # one call site, resolved on its first call and cached


class TestSettingsChange:
    def test_new_secret_pattern_masks_a_call_site_resolved_before(self) -> None:
        """A call site resolved under the default secrets is masked once ``apple`` is secret."""
        with chrono.story() as story:
            _record("red")
            chrono.configure(secret_names="apple")
            _record("green")
        assert [event.items for event in story.events] == [
            (("apple", "'red'"),),
            (("apple", MASK),),
        ]

    def test_settings_replaced_without_configure_are_noticed(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """New settings put in place by hand reach cached call sites and the live output:
        no module has to be told, so ``_config`` tells none."""
        before = io.StringIO()
        chrono.configure(output=before)
        _record("red")
        after = io.StringIO()
        monkeypatch.setattr(
            _config, "settings", _config.Settings(secrets=Secrets("apple"), output=after)
        )
        _record("green")
        assert "apple='red'" in before.getvalue()
        assert "green" not in before.getvalue()
        assert f"apple={MASK}" in after.getvalue()

    def test_reset_goes_back_to_the_default_secrets(self) -> None:
        """After ``reset()`` a call site masked under a custom pattern shows its value again."""
        with chrono.story() as story:
            chrono.configure(secret_names="apple")
            _record("red")
            _config.reset()
            _record("green")
        assert [event.items for event in story.events] == [
            (("apple", MASK),),
            (("apple", "'green'"),),
        ]
