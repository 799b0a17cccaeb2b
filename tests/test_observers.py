"""Story observers: how integrations hear of stories and their events, and what they cannot
break."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable

import pytest

import chrono
from chrono import _errors
from chrono._collecting import collecting
from chrono._events import Event
from chrono._story import Story


class Observer:
    """Keeps what it is told; ``listen=False`` asks for no events."""

    def __init__(self, *, listen: bool = True) -> None:
        self.listen = listen
        self.started: list[str | None] = []
        self.stopped: list[tuple[str | None, str | None]] = []
        self.heard: list[tuple[str | None, tuple[tuple[str, str], ...]]] = []

    def story_started(self, story: Story) -> Callable[[Event], object] | None:
        self.started.append(story.name)
        if not self.listen:
            return None
        return lambda event: self.heard.append((story.name, event.items))

    def story_stopped(self, story: Story, error: BaseException | None) -> None:
        self.stopped.append((story.name, None if error is None else type(error).__name__))


class Raising:
    def story_started(self, story: Story) -> Callable[[Event], object] | None:
        def listener(event: Event) -> None:
            raise RuntimeError("listener")

        return listener

    def story_stopped(self, story: Story, error: BaseException | None) -> None:
        raise RuntimeError("stopped")


@pytest.fixture
def observe() -> Iterator[Callable[[Any], None]]:
    """Register observers for the test; all are taken out after it."""
    registered: list[Any] = []

    def register(observer: Any) -> None:
        registered.append(observer)
        chrono.observe(observer)

    yield register
    for observer in registered:
        chrono.unobserve(observer)


def test_observers_hear_start_events_and_stop(observe: Callable[[Any], None]) -> None:
    """An observer is told of the start, each event, and the stop with what ended it."""
    observer = Observer()
    observe(observer)

    def fail() -> None:
        with chrono.story("checkout"):
            chrono.tp(1)
            raise KeyError("cart")

    with pytest.raises(KeyError):
        fail()
    assert observer.started == ["checkout"]
    assert observer.heard == [("checkout", (("1", "1"),))]
    assert observer.stopped == [("checkout", "KeyError")]


def test_without_listeners_the_fast_lane_stays(observe: Callable[[Any], None]) -> None:
    """A story nothing listens to keeps the recorder's one-append fast lane; one with a listener
    leaves it."""
    observe(Observer(listen=False))
    with chrono.story():
        assert collecting.sole is not None
    listening = Observer()
    observe(listening)
    with chrono.story():
        assert collecting.sole is None
        chrono.tp(2)
    assert [items for _, items in listening.heard] == [(("2", "2"),)]


def test_unobserved_stories_are_not_told(observe: Callable[[Any], None]) -> None:
    """After unobserve, stories that start are not told; one already open still is."""
    observer = Observer()
    observe(observer)
    with chrono.story("open"):
        collecting.unobserve(observer)
        chrono.tp(1)
        with chrono.story("later"):
            chrono.tp(2)
    assert observer.started == ["open"]
    assert [name for name, _ in observer.heard] == ["open", "open"]


def test_a_failing_observer_reaches_neither_program_nor_others(
    observe: Callable[[Any], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An observer whose listener and stop raise leaves tp, the story and the other observers
    as they would be without it (in production, where chrono swallows its own errors)."""
    monkeypatch.setattr(_errors, "RAISE_INTERNAL_ERRORS", False)
    observe(Raising())
    other = Observer()
    observe(other)
    with chrono.story("s") as story:
        returned = chrono.tp(3)
    assert returned == 3
    assert [event.items for event in story.events] == [(("3", "3"),)]
    assert other.heard == [("s", (("3", "3"),))]
    assert other.stopped == [("s", None)]


def test_no_observer_is_told_while_chrono_is_off(observe: Callable[[Any], None]) -> None:
    """A story started while chrono is off tells no observer anything."""
    observer = Observer()
    observe(observer)
    chrono.disable()
    with chrono.story():
        chrono.tp(1)
    assert (observer.started, observer.heard, observer.stopped) == ([], [], [])


class TestPublicExtensionPoint:
    def test_observe_and_unobserve_are_the_registry(self, observe: Callable[[Any], None]) -> None:
        """chrono.observe registers once however often it is called; chrono.unobserve takes the
        observer out, and stories that start after it tell it nothing."""
        observer = Observer()
        observe(observer)
        chrono.observe(observer)
        assert collecting.observers.count(observer) == 1
        with chrono.story("told"):
            chrono.tp(1)
        chrono.unobserve(observer)
        with chrono.story("untold"):
            chrono.tp(2)
        assert observer.started == ["told"]
        assert observer.stopped == [("told", None)]

    def test_the_protocol_is_public_and_kept_by_a_plain_class(self) -> None:
        """chrono.StoryObserver is exported; a class with the two methods is one to mypy, and
        the names are in chrono.__all__."""
        observer: chrono.StoryObserver = Observer()
        assert {"StoryObserver", "observe", "unobserve"} <= set(chrono.__all__)
        assert callable(observer.story_started)

    def test_current_story_among_names_the_innermost_of_those(self) -> None:
        """current_story(among) is the innermost active story that is one of ``among``; None
        when none of them is active."""
        with chrono.story("outer") as outer, chrono.story("middle") as middle:
            with chrono.story("inner"):
                assert chrono.current_story({outer, middle}) is middle
                assert chrono.current_story({outer}) is outer
            assert chrono.current_story(set()) is None
