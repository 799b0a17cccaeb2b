"""Values: safe, bounded reprs taken at call time, secrets masked, and configure()."""

from __future__ import annotations

import dataclasses
import enum
import sys
import tracemalloc
from types import SimpleNamespace

import pytest

import chrono
from chrono import tp
from chrono._config import DEFAULT_REPR_LIMIT
from chrono._secrets import DEFAULT_SECRET_NAMES, MASK, Secrets
from chrono._values import safe_repr

DEFAULT_SECRETS = Secrets(DEFAULT_SECRET_NAMES)


@dataclasses.dataclass
class Connection:
    host: str
    db_password: str


def recorded(value: object) -> str:
    """The repr tp records for ``value`` inside a story."""
    with chrono.story() as story:
        tp(value)
    ((_, shown),) = story.events[0].items
    return shown


def _recorded_with_peak(value: object) -> tuple[str, int]:
    """``recorded(value)``, and the most memory Python held at once while it ran."""
    tracemalloc.start()
    try:
        return recorded(value), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class TestSafeRepr:
    def test_plain_values_are_their_repr(self) -> None:
        """Ordinary values are recorded exactly as repr() shows them."""
        for value in (1, 2.5, None, "text", b"bytes", [1, (2, 3)], {"a": {1, 2}}):
            assert recorded(value) == repr(value)

    def test_long_string_is_truncated_with_its_full_length(self) -> None:
        """A string longer than the limit is cut there, and its full length is stated."""
        shown = recorded("x" * 5_000)
        assert shown.startswith("'xxxx")
        assert shown.endswith("(5,000 characters in all)")
        assert len(shown) < DEFAULT_REPR_LIMIT + 50

    def test_long_repr_is_truncated_with_its_full_length(self) -> None:
        """Any repr past the limit is cut, and the length of the whole repr is stated."""

        class Wordy:
            def __repr__(self) -> str:
                return "w" * 3_000

        shown = recorded(Wordy())
        assert shown == "w" * DEFAULT_REPR_LIMIT + "… (3,000 characters in all)"

    def test_raising_repr_becomes_a_placeholder_naming_the_exception(self) -> None:
        """A __repr__ that raises is shown as a placeholder with the exception type and text."""

        class Broken:
            def __repr__(self) -> str:
                raise ValueError("no repr today")

        assert recorded(Broken()) == "<repr failed: ValueError: no repr today>"

    def test_repr_returning_a_non_string(self) -> None:
        """A __repr__ returning something other than str is a placeholder, not a crash."""

        class Confused:
            def __repr__(self) -> str:
                return 42  # type: ignore[return-value]

        shown = recorded(Confused())
        assert shown.startswith("<repr failed: TypeError: __repr__ returned non-string")
        assert "int" in shown

    def test_repr_returning_a_str_subclass(self) -> None:
        """A __repr__ may return a str subclass (repr() allows it): its text is shown."""

        class Loud(str):
            def __len__(self) -> int:
                raise RuntimeError("no len")

        class Fancy:
            def __repr__(self) -> str:
                return Loud("Fancy()")

        shown = recorded(Fancy())
        assert shown == "Fancy()"
        assert type(shown) is str

    def test_repr_raising_with_an_unprintable_message(self) -> None:
        """Even an exception whose str() raises is named in the placeholder."""

        class Unprintable(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no")

        class Broken:
            def __repr__(self) -> str:
                raise Unprintable

        assert recorded(Broken()) == "<repr failed: Unprintable>"

    def test_recursive_containers(self) -> None:
        """A list or dict that contains itself is shown with Python's recursion marker."""
        looped: list[object] = [1]
        looped.append(looped)
        mapping: dict[str, object] = {}
        mapping["self"] = mapping
        assert recorded(looped) == "[1, [...]]"
        assert recorded(mapping) == "{'self': {...}}"

    def test_huge_integer(self) -> None:
        """An int too large for str() is a placeholder: it is neither raised nor lost."""
        huge = 10**5_000
        shown = recorded(huge)
        # The digit limit came with 3.11 and security releases of 3.9 and 3.10.
        if getattr(sys, "get_int_max_str_digits", lambda: 0)():
            assert shown.startswith("<repr failed: ValueError")
        else:
            assert shown.startswith("1000")
            assert shown.endswith("(5,001 characters in all)")

    def test_million_element_list_is_cut_and_bounded(self) -> None:
        """A 10**6-element list is never written out whole (its full repr is 7 MB), and its
        text states how many items it holds."""
        large = list(range(10**6))
        shown, peak = _recorded_with_peak(large)
        assert peak < 1_000_000
        assert len(shown) <= DEFAULT_REPR_LIMIT + 50
        assert shown.startswith("[0, 1, 2, ")
        assert "1,000,000 items" in shown

    def test_large_container_of_long_strings_states_its_item_count(self) -> None:
        """Even when the shortened repr of a large container is cut, its item count is kept."""
        shown = recorded(["x" * 2_000] * 1_000)
        assert len(shown) <= DEFAULT_REPR_LIMIT + 50
        assert shown.endswith("(1,000 items)")

    def test_hundred_megabyte_string_is_cut_before_its_repr(self) -> None:
        """A 100 MB string is cut before its repr is taken (nothing near its size is
        allocated), and the output is bounded."""
        enormous = "a" * 100_000_000
        shown, peak = _recorded_with_peak(enormous)
        assert peak < 4_000_000
        assert len(shown) < DEFAULT_REPR_LIMIT + 50
        assert shown.endswith("(100,000,000 characters in all)")

    def test_safe_repr_never_raises_for_hostile_objects(self) -> None:
        """safe_repr itself returns a string for objects that fail in every way."""

        class Hostile:
            def __repr__(self) -> str:
                raise KeyError("repr")

            def __len__(self) -> int:
                raise KeyError("len")

            def __getattr__(self, name: str) -> object:
                raise KeyError(name)

        assert safe_repr(Hostile(), 100, DEFAULT_SECRETS) == "<repr failed: KeyError: 'repr'>"


class TestSecrets:
    def test_argument_text_names_a_secret(self) -> None:
        """password, user.api_key and headers["Authorization"] are masked by their text."""
        password = "hunter2"
        user = SimpleNamespace(api_key="k-123")
        headers = {"Authorization": "Bearer abc"}
        with chrono.story() as story:
            tp(password)
            tp(user.api_key)
            tp(headers["Authorization"])
        assert story.values("password") == [MASK]
        assert story.values("user.api_key") == [MASK]
        assert story.values('headers["Authorization"]') == [MASK]
        assert "hunter2" not in story.text()

    def test_dict_key_inside_a_repr(self) -> None:
        """A secret-looking key inside a dict's repr has its value masked; others stay."""
        settings = {"user": "ada", "password": "hunter2", "session_id": 77}
        with chrono.story() as story:
            tp(settings)
        assert story.values("settings") == [
            f"{{'user': 'ada', 'password': {MASK}, 'session_id': {MASK}}}"
        ]

    def test_dataclass_field_inside_a_repr(self) -> None:
        """A secret-looking dataclass field is masked, even when its value contains commas."""

        connection = Connection("db.local", "a, b")
        with chrono.story() as story:
            tp(connection)
        assert story.values("connection") == [f"Connection(host='db.local', db_password={MASK})"]

    @pytest.mark.parametrize(
        "value",
        [
            {"credentials": {"user": "bob", "pin": "hunter2"}},
            {"api_key": ["k1", "hunter2"]},
            {"secret": ("a", "hunter2")},
            SimpleNamespace(token=SimpleNamespace(raw="hunter2")),
        ],
        ids=["dict", "list", "tuple", "object"],
    )
    def test_container_under_a_secret_key_is_masked_whole(self, value: object) -> None:
        """A secret key whose value is a container masks all of it, not only its first part."""
        shown = recorded(value)
        assert "hunter2" not in shown
        assert MASK in shown

    def test_masked_value_does_not_swallow_its_neighbours(self) -> None:
        """Masking stops at the end of the secret value: the next field is still shown."""
        shown = recorded({"token": ["a", ("b", "c")], "visible": 1, "cookie": "x'y", "also": 2})
        assert shown == f"{{'token': {MASK}, 'visible': 1, 'cookie': {MASK}, 'also': 2}}"

    def test_key_value_inside_a_string(self) -> None:
        """A key=value inside a string is masked up to the string's end, and no further."""
        shown = recorded(["password=hunter2", "visible"])
        assert shown == f"['password={MASK}', 'visible']"

    def test_configure_secret_names(self) -> None:
        """configure(secret_names=...) replaces the pattern, for argument texts and repr keys."""
        chrono.configure(secret_names=r"pin\b")
        pin = 1234
        password = "visible now"
        with chrono.story() as story:
            tp(pin, password, {"pin": 1})
        assert story.events[0].items == (
            ("pin", MASK),
            ("password", "'visible now'"),
            ('{"pin": 1}', f"{{'pin': {MASK}}}"),
        )

    def test_empty_secret_names_turns_masking_off(self) -> None:
        """configure(secret_names="") shows every value as it is."""
        chrono.configure(secret_names="")
        password = "hunter2"
        with chrono.story() as story:
            tp(password, {"token": "t"})
        assert story.events[0].items == (
            ("password", "'hunter2'"),
            ('{"token": "t"}', "{'token': 't'}"),
        )


class TestConfigure:
    def test_repr_limit(self) -> None:
        """configure(repr_limit=N) cuts reprs at N characters."""
        chrono.configure(repr_limit=30)
        shown = recorded("y" * 100)
        assert shown == "'" + "y" * 29 + "… (100 characters in all)"

    def test_left_out_settings_keep_their_values(self) -> None:
        """Each configure() call changes only the settings it is given."""
        chrono.configure(repr_limit=30)
        chrono.configure(secret_names="")
        password = "z" * 100
        with chrono.story() as story:
            tp(password)
        assert story.values("password") == ["'" + "z" * 29 + "… (100 characters in all)"]

    @pytest.mark.parametrize(
        ("arguments", "error", "setting"),
        [
            ({"repr_limit": "100"}, TypeError, "repr_limit"),
            ({"repr_limit": True}, TypeError, "repr_limit"),
            ({"repr_limit": 2.5}, TypeError, "repr_limit"),
            ({"repr_limit": 5}, ValueError, "repr_limit"),
            ({"secret_names": 3}, TypeError, "secret_names"),
            ({"secret_names": "(unclosed"}, ValueError, "secret_names"),
            ({"output": 42}, TypeError, "output"),
        ],
    )
    def test_bad_values_raise_a_clear_error(
        self, arguments: dict[str, object], error: type[Exception], setting: str
    ) -> None:
        """A bad setting raises at configure() time, naming the setting."""
        with pytest.raises(error, match=setting):
            chrono.configure(**arguments)  # type: ignore[arg-type]

    def test_bad_value_changes_nothing(self) -> None:
        """A configure() call that raises leaves every setting as it was."""
        chrono.configure(repr_limit=40)
        with pytest.raises(ValueError, match="repr_limit"):
            chrono.configure(secret_names="", repr_limit=1)
        password = "secret value"
        with chrono.story() as story:
            tp(password, "q" * 100)
        assert story.values("password") == [MASK]
        assert story.events[0].items[1][1].endswith("(100 characters in all)")


class Colour(enum.IntEnum):
    RED = 1


class TestIntegers:
    """Small ints take tp's shortest path; every other int-like value goes through safe_repr:
    both must show what repr() would, within the limit."""

    @pytest.mark.parametrize(
        "value",
        [0, 7, -7, 999_999_999, -999_999_999, 1_000_000_000, -1_000_000_000, 2**62, -(2**80)],
    )
    def test_ints_show_their_repr(self, value: int) -> None:
        with chrono.story() as story:
            returned = tp(value)
        assert returned is value
        assert story.values("value") == [repr(value)]

    def test_int_like_values_show_their_own_repr(self) -> None:
        """bool and int subclasses are not plain ints: their own repr is shown."""
        flag, colour = True, Colour.RED
        with chrono.story() as story:
            tp(flag)
            tp(colour)
        assert story.values("flag") == ["True"]
        assert story.values("colour") == [repr(Colour.RED)]

    @pytest.mark.parametrize("huge", [7**2000, 10**5000], ids=["1,691 digits", "5,001 digits"])
    def test_an_int_too_long_for_repr_or_the_limit_is_cut(self, huge: int) -> None:
        """An int of thousands of digits is cut at the limit (or, past the 4,300 digits that
        3.11+ prints, named as too long), never an error."""
        with chrono.story() as story:
            returned = tp(huge)
        assert returned is huge
        (shown,) = story.values("huge")
        assert len(shown) < DEFAULT_REPR_LIMIT + 100
