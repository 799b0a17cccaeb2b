"""Golden files: the rendered story, divergence and suspects, as plain text at fixed widths (and
the story and divergence as a terminal without colour draws them, wrapped), compared whole
with the files in tests/golden/.

Substring checks let a column that moves, a line that wraps or a site cut too short pass
unseen; a whole rendering compared with a reviewed file does not. The cases hold what broke
layouts before: long call sites, long values, wide characters (CJK, emoji), several threads,
a dropped stretch.

When a rendering changes on purpose, write the files again and review them in the diff:

    CHRONO_GOLDEN=regenerate python -m pytest tests/test_golden.py

A test that regenerates its file passes, saying so; the run without the variable then checks
them. The stories are built from plain data (no clock, no sequence counter), so a file holds
the same text on every machine and every Python.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from chrono import Story, compare
from chrono._suspects import Suspect
from chrono.render import divergence_text, story_text, suspects_text

GOLDEN = Path(__file__).parent / "golden"
#: Set to "regenerate" to write the golden files from the current rendering.
SWITCH = "CHRONO_GOLDEN"
WIDTHS = (60, 100, 160)

LONG_FILE = "src/acme/billing/services/international/tax/jurisdictions.py"
LONG_FUNCTION = "InternationalTaxJurisdictionResolver.resolve_compound_rate_for_region"
LONG_VALUE = repr([round(number * 1.25, 2) for number in range(60)])


def _event(seq: int, file: str, line: int, function: str, **fields: Any) -> dict[str, Any]:
    """One event of a story's plain data, ``seq`` tenths of a millisecond after its start."""
    return {
        "seq": seq,
        "monotonic_ns": seq * 100_000,
        "wall": 0.0,
        "thread": fields.get("thread", "MainThread"),
        "thread_id": fields.get("thread_id", 1),
        "task": None,
        "file": os.path.join(os.getcwd(), *file.split("/")),
        "line": line,
        "function": function,
        "label": fields.get("label"),
        "items": fields.get("items", []),
        "kind": fields.get("kind", "tp"),
    }


def _story(name: str, events: list[dict[str, Any]], **fields: Any) -> Story:
    return Story.from_dict(
        {
            "schema": "chrono.story/2",
            "name": name,
            "started_ns": 0,
            "ended_ns": (events[-1]["seq"] + 1) * 100_000,
            "max_events": 10_000,
            "events": events,
            **fields,
        }
    )


def checkout_story() -> Story:
    """A failing checkout: a long call site, a long value, wide characters, a worker thread,
    a label, a marker, a log record, and a dropped stretch."""
    events = [
        _event(1, "src/shop/cart.py", 12, "Cart.add", items=[["item", "'寿司🍣'"], ["qty", "2"]]),
        _event(2, "src/shop/cart.py", 30, "Cart.total", label="pricing"),
        _event(3, LONG_FILE, 118, LONG_FUNCTION, items=[["rates", LONG_VALUE]]),
        _event(
            4,
            "src/shop/worker.py",
            7,
            "refresh",
            thread="rates-refresher",
            thread_id=2,
            items=[["region", "'北海道'"]],
        ),
        _event(30, "src/shop/cart.py", 41, "Cart.total"),
        _event(
            31,
            "src/shop/payments.py",
            55,
            "charge",
            kind="log",
            label="WARNING",
            items=[["message", "'card declined: 残高不足'"]],
        ),
        _event(32, "src/shop/cart.py", 44, "Cart.total", items=[["total", "-3.5"]]),
    ]
    return _story("tests/test_checkout.py::test_total[寿司]", events, dropped=25, dropped_at=4)


def divergence_stories() -> tuple[Story, Story]:
    """A passing and a failing run of the same test: the same start, then another branch with a
    long call site and a long value."""
    common = [
        _event(1, "src/shop/cart.py", 12, "Cart.add", items=[["item", "'寿司🍣'"]]),
        _event(2, "src/shop/cart.py", 30, "Cart.total", label="pricing"),
    ]
    passing = [
        *common,
        _event(3, "src/shop/cart.py", 36, "Cart.total", items=[["discount", "0.1"]]),
        _event(4, "src/shop/cart.py", 44, "Cart.total", items=[["total", "9.0"]]),
    ]
    failing = [
        *common,
        _event(3, LONG_FILE, 118, LONG_FUNCTION, items=[["rates", LONG_VALUE]]),
        _event(4, "src/shop/cart.py", 44, "Cart.total", items=[["total", "-3.5"]]),
    ]
    return _story("test_total[ok]", passing), _story("test_total[寿司]", failing)


def suspects_case() -> tuple[Story, list[Suspect]]:
    """A story with two suspects marked, and their lines."""
    story = checkout_story()
    suspect = {
        "formula": "ochiai",
        "failing": 5,
        "failing_total": 5,
        "passing_total": 41,
        "increase": 0.5,
    }
    suspects = [
        Suspect(
            rank=1,
            seq=3,
            seqs=(3,),
            file=os.path.join(os.getcwd(), *LONG_FILE.split("/")),
            line=118,
            function=LONG_FUNCTION,
            predicate=f"rates={LONG_VALUE}",
            kind="value",
            score=0.8452,
            passing=2,
            tied=False,
            **suspect,
        ),
        Suspect(
            rank=2,
            seq=4,
            seqs=(4,),
            file=os.path.join(os.getcwd(), "src", "shop", "worker.py"),
            line=7,
            function="refresh",
            predicate="region='北海道'",
            kind="value",
            score=0.61,
            passing=9,
            tied=True,
            **suspect,
        ),
    ]
    return story, suspects


def _story_text(width: int) -> str:
    return story_text(checkout_story(), width)


def _divergence_text(width: int) -> str:
    return divergence_text(compare(*divergence_stories()), width)


def _suspects_text(width: int) -> str:
    story, suspects = suspects_case()
    drawn = story_text(story, width, suspects={suspect.seq: suspect.rank for suspect in suspects})
    return f"{suspects_text(suspects)}\n\n{drawn}"


def _on_terminal(renderable: object, width: int) -> str:
    """What rich draws of ``renderable`` on a terminal ``width`` columns wide, without colour:
    where long lines wrap."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(renderable)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def _story_on_terminal(width: int) -> str:
    return _on_terminal(checkout_story(), width)


def _divergence_on_terminal(width: int) -> str:
    return _on_terminal(compare(*divergence_stories()), width)


CASES: dict[str, Callable[[int], str]] = {
    "story": _story_text,
    "story-terminal": _story_on_terminal,
    "divergence": _divergence_text,
    "divergence-terminal": _divergence_on_terminal,
    "suspects": _suspects_text,
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_matches_its_golden_file(case: str, width: int) -> None:
    """The plain rendering of the case at that width is exactly its reviewed golden file."""
    path = GOLDEN / f"{case}-{width}.txt"
    text = CASES[case](width) + "\n"
    if os.environ.get(SWITCH) == "regenerate":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no {path.name}: run with {SWITCH}=regenerate and review the file"
    assert text == path.read_text(encoding="utf-8")


def test_each_golden_file_belongs_to_a_case() -> None:
    """No golden file is left over from a case or a width that is gone."""
    expected = {f"{case}-{width}.txt" for case in CASES for width in WIDTHS}
    assert {path.name for path in GOLDEN.glob("*.txt")} <= expected
