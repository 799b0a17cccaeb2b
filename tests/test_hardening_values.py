"""Hostile values: tp returns exactly its arguments, never raises, and every story still renders.

The properties run under a hypothesis profile chosen by ``CHRONO_HYPOTHESIS_PROFILE``: ``ci``
(the default, a few hundred cases per property) or ``long`` (over 100,000 cases in all; its
figures are in docs/reliability.md)::

    CHRONO_HYPOTHESIS_PROFILE=long python -m pytest tests/test_hardening_values.py -p no:randomly
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import linecache
import logging
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

import chrono
from chrono import tp
from chrono._values import MASK
from chrono.export import html_report
from helpers import import_path
from test_properties import Hostile

PROFILE_VARIABLE = "CHRONO_HYPOTHESIS_PROFILE"
#: Cases per property, by profile; the long run's three properties add up to 100,000+.
_EXAMPLES = {"ci": (200, 100, 100), "long": (60_000, 25_000, 25_000)}
_PROFILE = os.environ.get(PROFILE_VARIABLE, "ci")
if _PROFILE not in _EXAMPLES:
    raise ValueError(f"{PROFILE_VARIABLE}={_PROFILE!r}: use one of {', '.join(_EXAMPLES)}")
for _name, (_single, _pairs, _disabled) in _EXAMPLES.items():
    settings.register_profile(
        f"chrono-{_name}",
        max_examples=_single,
        deadline=None,
        # Generated values include deliberately slow and enormous ones.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
PROFILE = settings.get_profile(f"chrono-{_PROFILE}")
SINGLE, PAIRS, DISABLED = _EXAMPLES[_PROFILE]

#: The longest item a story may hold: the default repr limit plus the stated full length.
LONGEST_ITEM = 1_000 + len("… (100,000,000 characters in all)")


# -- hostile objects ------------------------------------------------------------------------


class ClassLie:
    """Claims to be another class (``__class__``), or raises when asked."""

    def __init__(self, claimed: object) -> None:
        self.claimed = claimed

    @property  # type: ignore[misc]
    def __class__(self) -> Any:
        if isinstance(self.claimed, type):
            return self.claimed
        raise AttributeError("no class")  # as isinstance() tolerates: hypothesis calls it

    def __repr__(self) -> str:
        return "ClassLie()"


class _HostileMeta(type):
    # Its __eq__ is left alone: hypothesis itself compares the types of the values it makes.
    def __hash__(cls) -> int:
        raise RuntimeError("metaclass hash")


class HostileType(metaclass=_HostileMeta):
    """An instance of a class whose class cannot be hashed."""


class SlowRepr:
    """Takes a millisecond to describe itself."""

    def __repr__(self) -> str:
        time.sleep(0.001)
        return "SlowRepr()"


class TextRepr:
    """Returns whatever text it is given as its repr: line breaks, markup, lone surrogates."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class ReprRaisesWithText(Exception):
    """An exception whose message is hostile text."""


class RaisingWithText:
    """A repr that raises an exception carrying the text it is given."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        raise ReprRaisesWithText(self.text)


class CallsTp:
    """A repr that calls tp, so chrono meets itself while recording."""

    def __repr__(self) -> str:
        tp("from inside a repr")
        return "CallsTp()"


class StrSubclass(str):
    """A str subclass whose own methods fail."""

    def __len__(self) -> int:
        raise RuntimeError("len")

    def __getitem__(self, index: object) -> str:
        raise RuntimeError("getitem")


class ReprReturnsSubclass:
    """A repr that returns a hostile str subclass."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return StrSubclass(self.text)


class HugeRepr:
    """A repr of a million characters, a secret key at its start."""

    def __repr__(self) -> str:
        return "password=" + "x" * 1_000_000


def _recursive_list() -> list[object]:
    looped: list[object] = [1]
    looped.append(looped)
    return looped


def _recursive_dict() -> dict[str, object]:
    looped: dict[str, object] = {"token": "t"}
    looped["self"] = looped
    return looped


def _deep_list(depth: int = 100_000) -> list[object]:
    # Deeper than any recursion limit: repr() itself fails with RecursionError.
    nested: list[object] = []
    for _ in range(depth):
        nested = [nested]
    return nested


@dataclasses.dataclass
class Credentials:
    user: str
    api_key: str


@functools.cache
def enormous_string() -> str:
    """100 MB of text, built once."""
    return "a" * 100_000_000


@functools.cache
def enormous_bytes() -> bytes:
    """100 MB of bytes, built once."""
    return b"b" * 100_000_000


@functools.cache
def deep_list() -> list[object]:
    """A list nested 100,000 deep, built once."""
    return _deep_list()


#: Any text at all, lone surrogates included (which no UTF-8 file can hold as they are).
any_text = st.text(
    alphabet=st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)), max_size=40
)

hostile_values = st.one_of(
    st.sampled_from([ValueError, TypeError, RuntimeError, KeyError, RecursionError]).map(Hostile),
    st.sampled_from([int, str, list, dict, type, None]).map(ClassLie),
    st.builds(lambda: HostileType()),  # the class itself cannot be a cache key
    st.builds(SlowRepr),
    any_text.map(TextRepr),
    any_text.map(RaisingWithText),
    any_text.map(ReprReturnsSubclass),
    st.builds(CallsTp),
    st.builds(HugeRepr),
    st.builds(_recursive_list),
    st.builds(_recursive_dict),
    st.builds(deep_list),
    st.sampled_from([Ellipsis, NotImplemented, object(), type, len, io.StringIO(), logging]),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.builds(pow, st.just(10), st.integers(min_value=4_400, max_value=5_000)),
    st.floats(),
    st.complex_numbers(),
    any_text,
    st.binary(max_size=40),
    st.integers(min_value=1_001, max_value=5_000).map(lambda length: "s" * length),
    hostile_values,
)

values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.tuples(children, children),
        st.dictionaries(st.one_of(any_text, st.integers()), children, max_size=5),
        st.dictionaries(
            st.sampled_from(["password", "token", "Authorization", "name", "cookie"]),
            children,
            max_size=3,
        ),
        st.builds(SimpleNamespace, secret=children, visible=children),
        st.builds(Credentials, user=any_text, api_key=any_text),
        st.integers(min_value=501, max_value=2_000).map(lambda length: list(range(length))),
    ),
    max_leaves=12,
)

#: At the top level only: 100 MB strings and bytes (cheap, since they are cut before repr).
any_value = st.one_of(values, st.builds(enormous_string), st.builds(enormous_bytes))


def assert_story_renders(story: chrono.Story) -> None:
    """The story's text, its rich view at two widths, and its JSON all come out whole."""
    events = story.events
    text = story.text()
    for event in events:
        assert f"#{event.seq} " in text
        for _, shown in event.items:
            assert isinstance(shown, str)
            assert len(shown) <= LONGEST_ITEM
    for width in (100, 24):
        console = Console(file=io.StringIO(), width=width, color_system="standard")
        console.print(story)
        assert f"#{events[-1].seq}" in console.file.getvalue()  # type: ignore[attr-defined]
    document = story.to_json()
    document.encode("utf-8")  # no lone surrogate: it can be written to a file as it is
    assert json.loads(document)["events"] == json.loads(json.dumps(story.to_dict()))["events"]


class TestHostileValues:
    @settings(PROFILE, max_examples=SINGLE)
    @given(value=any_value)
    def test_one_value_comes_back_and_its_story_renders(self, value: object) -> None:
        """tp(v) is v, records one event with one bounded item, and the story renders."""
        with chrono.story() as story:
            returned = tp(value)
        assert returned is value
        events = [event for event in story.events if event.label != "from inside a repr"]
        assert len(events) == 1
        ((text, shown),) = events[0].items
        assert text == "value"
        assert len(shown) <= LONGEST_ITEM
        assert_story_renders(story)

    @settings(PROFILE, max_examples=PAIRS)
    @given(first=any_value, second=values)
    def test_label_and_values_come_back_and_print_as_one_line(
        self, first: object, second: object
    ) -> None:
        """tp("label", a, b) returns its three arguments and prints one whole line live."""
        output = io.StringIO()
        chrono.configure(output=output)
        returned = tp("label", first, second)
        assert type(returned) is tuple
        assert returned[0] == "label"
        assert returned[1] is first
        assert returned[2] is second
        line = output.getvalue()
        assert line.count("\n") == 1
        assert line.endswith("\n")
        assert " label  first=" in line
        line.encode("utf-8")

    @settings(PROFILE, max_examples=DISABLED)
    @given(arguments=st.lists(any_value, max_size=4))
    def test_star_arguments_come_back_enabled_and_disabled(self, arguments: list[object]) -> None:
        """tp(*args) returns what tp was given, recorded with the placeholder, or switched off."""
        with chrono.story() as story:
            returned = tp(*arguments)
        assert_returned(returned, arguments)
        own = [event for event in story.events if event.label != "from inside a repr"]
        assert len(own) == 1
        assert [text for text, _ in own[0].items] == ["<?>"] * len(arguments)
        assert_story_renders(story)
        chrono.disable()
        try:
            assert_returned(tp(*arguments), arguments)
        finally:
            chrono.enable()


def assert_returned(returned: Any, arguments: list[object]) -> None:
    """``returned`` is what tp(*arguments) must return: None, the one value, or a tuple."""
    if len(arguments) > 1:
        assert type(returned) is tuple
        assert len(returned) == len(arguments)
        assert all(back is given for back, given in zip(returned, arguments))
    else:
        assert returned is (arguments[0] if arguments else None)


class TestEnormousValues:
    @pytest.mark.parametrize(
        "make",
        [
            enormous_string,
            enormous_bytes,
            lambda: [enormous_string()],
            lambda: {"token": enormous_string(), "visible": 1},
            lambda: StrSubclass(enormous_string()),
            lambda: TextRepr(enormous_string()),
        ],
        ids=["str", "bytes", "list-of-str", "dict-of-str", "str-subclass", "repr-of-100MB"],
    )
    def test_hundred_megabytes_leave_a_bounded_item(self, make: Any) -> None:
        """A value whose repr is 100 MB leaves a bounded item, and tp returns the value itself.
        (What it costs is measured by benchmarks, not timed here.)"""
        value = make()
        with chrono.story() as story:
            returned = tp(value)
        assert returned is value
        ((_, shown),) = story.events[0].items
        assert len(shown) <= LONGEST_ITEM
        assert shown.endswith(("characters in all)", "items)"))

    def test_secret_key_before_a_long_word_is_masked(self) -> None:
        """A secret key followed by a long run of letters is masked, the word kept. (That it
        takes time in proportion to the text is measured by benchmarks/bench_tp.py's masking
        suite, not timed here.)"""
        value = {"token": "t", "blob": "a" * 8_000}
        with chrono.story() as story:
            tp(value)
        assert story.values("value")[0].startswith(f"{{'token': {MASK}, 'blob': 'aaa")


class TestUnencodableText:
    def test_lone_surrogates_are_escaped_wherever_they_come_from(self) -> None:
        """A lone surrogate in a repr, a repr's exception or a log message is escaped, so the
        story can be written as UTF-8."""
        # Kept from pytest's own log capture (on the root logger), which would keep the raw
        # text, and pytest-xdist cannot send a report holding it to the controller; chrono
        # sees records whether they propagate or not.
        files = logging.getLogger("hardening.files")
        files.propagate = False
        files.addHandler(logging.NullHandler())
        with chrono.story() as story:
            tp(TextRepr("name\udcff"))
            tp(RaisingWithText("bad\ud800"))
            files.warning("skipped %s", "caf\udce9")
        shown = [event.items[0][1] for event in story.events]
        assert shown == [
            "name\\udcff",
            "<repr failed: ReprRaisesWithText: bad\\ud800>",
            "skipped caf\\udce9",
        ]
        story.to_json().encode("utf-8")
        html_report([story]).encode("utf-8")


# -- secrets -----------------------------------------------------------------------------------

SECRET = "hunter2-Zq9"


def _secret_story() -> chrono.Story:
    """A story holding the secret in every way chrono masks: argument texts and keys."""
    password = SECRET
    api_key = SECRET
    request = SimpleNamespace(headers={"Authorization": f"Bearer {SECRET}"}, cookie=SECRET)
    config = {"db": {"user": "ada", "password": SECRET}, "token": [SECRET], "name": "visible"}
    with chrono.story("secrets") as story:
        tp(password)
        tp(api_key, request.cookie)
        tp(request.headers["Authorization"])
        tp(config)
        tp(Credentials("ada", SECRET))
        tp(f"session_id={SECRET}")
        tp(f"password={SECRET} " + "z" * 5_000)
        logging.getLogger("app").warning("retrying with token=%s", SECRET)
    return story


class TestSecrets:
    def test_secret_never_reaches_the_text_json_or_html(self) -> None:
        """Masked by argument text and by key, in text, JSON and the HTML page alike."""
        story = _secret_story()
        assert len(story.events) == 8
        assert SECRET not in story.text()
        assert SECRET not in story.to_json()
        assert SECRET not in html_report([story])
        assert all(MASK in shown for event in story.events for _, shown in event.items)

    def test_exports_carry_exactly_the_masked_items(self) -> None:
        """The JSON and the HTML page hold the very items the story shows, masks included."""
        story = _secret_story()
        shown = [[list(item) for item in event.items] for event in story.events]
        assert [event["items"] for event in json.loads(story.to_json())["events"]] == shown
        page = html_report([story])
        data = re.search(r'<script type="application/json" id="chrono-data">(.*?)</script>', page)
        assert data is not None
        (embedded,) = json.loads(data.group(1))["stories"]
        assert [event["items"] for event in embedded["events"]] == shown

    def test_configured_pattern_applies_to_every_export(self) -> None:
        """configure(secret_names=...) changes what text, JSON and HTML mask, together."""
        chrono.configure(secret_names=r"\bpin\b")
        pin = SECRET
        password = "shown-now"
        with chrono.story() as story:
            tp(pin, password, {"pin": SECRET})
        assert story.events[0].items == (
            ("pin", MASK),
            ("password", "'shown-now'"),
            ('{"pin": SECRET}', f"{{'pin': {MASK}}}"),
        )
        for rendered in (story.text(), story.to_json(), html_report([story])):
            assert SECRET not in rendered
            assert "shown-now" in rendered

    def test_configured_pattern_reaches_call_sites_already_seen(self) -> None:
        """configure(secret_names=...) applies to a tp call that ran before it, both ways."""

        def recorded(pin: int) -> tuple[tuple[str, str], ...]:
            with chrono.story() as story:
                tp(pin)
            return story.events[0].items

        assert recorded(1234) == (("pin", "1234"),)
        chrono.configure(secret_names=r"\bpin\b")
        assert recorded(1234) == (("pin", MASK),)
        chrono.configure(secret_names="token")
        assert recorded(1234) == (("pin", "1234"),)

    def test_values_without_readable_source_are_masked_if_the_code_names_a_secret(
        self, tmp_path: Path
    ) -> None:
        """Where no source can be read (exec, a file edited since import), a variable the
        bytecode names is masked by its name, and a value under the placeholder is masked if
        the call's running code reads a secret-looking name."""
        namespace = {"tp": tp, "password": SECRET, "value": 5, "user": Credentials("a", SECRET)}
        module_path = tmp_path / "edited_since.py"
        module_path.write_text("from chrono import tp\n\ndef log_in(token):\n    tp(token)\n")
        module = import_path(module_path)
        module_path.write_text("from chrono import tp\n\ndef log_in(name):\n    tp(name)\n")
        linecache.checkcache()
        with chrono.story() as story:
            exec("tp(password)", namespace)
            exec("tp(value)", namespace)
            exec("tp(user.api_key, value)", namespace)
            module.log_in(SECRET)
        assert [event.items for event in story.events] == [
            (("password", MASK),),
            (("value", "5"),),
            (("<?>", MASK), ("value", "5")),
            (("token", MASK),),
        ]

    def test_secret_inside_a_long_string_is_masked(self) -> None:
        """A key=value inside a string longer than the limit is masked in the part kept."""
        long_text = f"password={SECRET} " + "x" * 5_000
        with chrono.story() as story:
            tp(long_text)
            tp(long_text.encode())
        for event in story.events:
            ((_, shown),) = event.items
            assert SECRET not in shown
            assert f"password={MASK} xxx" in shown
            assert shown.endswith(f"({len(long_text):,} characters in all)")

    def test_pytest_exports_mask_and_survive_unwritable_text(
        self, pytester: pytest.Pytester
    ) -> None:
        """Through the plugin, the JSON and HTML files hold no secret, and a lone surrogate in
        a repr neither stops the run nor loses the file."""
        pytester.makepyfile(
            test_secret=f"""
            from chrono import tp

            class Odd:
                def __repr__(self):
                    return "odd\\udcff"

            def test_fails():
                password = {SECRET!r}
                headers = {{"token": password}}
                tp(password, headers, Odd())
                assert False

            def test_after():
                pass
            """
        )
        result = pytester.runpytest_inprocess("--chrono-json=stories", "--chrono-html=report.html")
        result.assert_outcomes(failed=1, passed=1)
        (written,) = (pytester.path / "stories").glob("*.json")
        for path in (written, pytester.path / "report.html"):
            content = path.read_text(encoding="utf-8")
            assert SECRET not in content
            assert "odd\\\\udcff" in content
