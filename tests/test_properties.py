"""Properties: tp returns exactly what it was given and never raises, whatever the value."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chrono
from chrono import tp

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Hostile:
    """An object that fails at everything chrono might try on it."""

    def __init__(self, error: type[Exception]) -> None:
        object.__setattr__(self, "_error", error)

    def _fail(self, *arguments: object) -> Any:
        raise object.__getattribute__(self, "_error")("hostile")

    __repr__ = __str__ = __eq__ = __hash__ = __len__ = __bool__ = __iter__ = _fail
    __getattr__ = __setattr__ = __format__ = __lt__ = _fail


class WrongRepr:
    """An object whose __repr__ returns something that is not a string."""

    def __init__(self, result: object) -> None:
        self.result = result

    def __repr__(self) -> str:
        return self.result  # type: ignore[return-value]


class ReentrantRepr:
    """An object whose __repr__ calls tp itself."""

    def __repr__(self) -> str:
        tp("inside repr")
        return "ReentrantRepr()"


class HostileList(list):  # type: ignore[type-arg]
    """A list subclass whose length and repr fail."""

    def __len__(self) -> int:
        raise RuntimeError("len")

    def __repr__(self) -> str:
        raise RuntimeError("repr")


#: Characters that matter to chrono (quotes, brackets, separators, line breaks, non-ASCII),
#: from a fixed alphabet so that hypothesis need not build its Unicode tables.
texts = st.text(alphabet=st.sampled_from(list("aZ0 =:,'\"\\\n\r\t{}[]()<>é☃\x00\U0001f600")))

hostile_values = st.one_of(
    st.sampled_from([ValueError, TypeError, RuntimeError, KeyError, AttributeError]).map(Hostile),
    st.one_of(st.integers(), st.none(), st.binary(), st.lists(st.integers())).map(WrongRepr),
    st.just(ReentrantRepr()),
    st.builds(HostileList),
    texts.map(lambda text: WrongRepr(type("StrSubclass", (str,), {})(text))),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.builds(pow, st.just(10), st.integers(min_value=4_400, max_value=4_500)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(),
    texts,
    st.integers(min_value=1_001, max_value=3_000).map(lambda length: "s" * length),
    st.binary(),
    st.sampled_from([Ellipsis, NotImplemented, object(), type, len, io.StringIO]),
    hostile_values,
)

values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=8),
        st.tuples(children, children),
        st.dictionaries(st.one_of(texts, st.integers()), children, max_size=6),
        st.frozensets(st.one_of(st.integers(), texts), max_size=6),
        st.integers(min_value=501, max_value=2_000).map(lambda length: list(range(length))),
        st.dictionaries(
            st.sampled_from(["password", "token", "api_key", "name", "Cookie"]),
            children,
            max_size=3,
        ),
    ),
    max_leaves=20,
)


class TestTpNeverFails:
    @PROPERTY_SETTINGS
    @given(value=values)
    def test_returns_the_same_object_inside_a_story(self, value: object) -> None:
        """Inside a story, tp(v) is v and exactly one event is recorded, whatever v is."""
        with chrono.story() as story:
            returned = tp(value)
        assert returned is value
        assert len(story.events) == 1
        ((text, shown),) = story.events[0].items
        assert text == "value"
        assert isinstance(shown, str)
        assert len(shown) <= 1_100
        assert isinstance(story.text(), str)

    @PROPERTY_SETTINGS
    @given(value=values)
    def test_returns_the_same_object_outside_a_story(self, value: object) -> None:
        """Outside a story, tp(v) is v and exactly one whole line is printed."""
        output = io.StringIO()
        chrono.configure(output=output)
        returned = tp(value)
        assert returned is value
        printed = output.getvalue()
        assert printed.endswith("\n")
        assert printed.count("\n") == 1

    @PROPERTY_SETTINGS
    @given(first=values, second=values)
    def test_several_values_come_back_as_a_tuple_of_the_same_objects(
        self, first: object, second: object
    ) -> None:
        """tp(a, b) returns a tuple holding the very objects a and b."""
        with chrono.story() as story:
            returned = tp(first, second)
        assert type(returned) is tuple
        assert len(returned) == 2
        assert returned[0] is first
        assert returned[1] is second
        assert [text for text, _ in story.events[0].items] == ["first", "second"]

    @PROPERTY_SETTINGS
    @given(value=values)
    def test_disabled_tp_returns_the_same_object(self, value: object) -> None:
        """Switched off, tp(v) is still v."""
        chrono.disable()
        try:
            assert tp(value) is value
        finally:
            chrono.enable()
