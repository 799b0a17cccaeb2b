"""Which stories collect events right now: the recorder's and the log bridge's one question.

Kept apart from ``Story`` so that what delivers events (the recorder, the log bridge) depends on
this registry alone, never on the story class and what it imports.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Container
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from chrono._events import Event, RawTpRecord
    from chrono._story import FastLane, Story


class StoryObserver(Protocol):
    """Something that watches stories start and stop (an integration: Sentry, OpenTelemetry),
    registered with ``chrono.observe``.

    ``story_started`` is told before the story collects its first event, and may return a
    listener that the story then hands each of its events to, as it arrives, in the thread that
    made it; ``story_stopped`` is told after the last, with the exception that ended the story
    or None. Neither is called while no observer is registered, so a process that instruments
    nothing pays nothing. What either raises is swallowed (and said once): an observer never
    breaks the program or the story.
    """

    def story_started(self, story: Story) -> Callable[[Event], object] | None: ...

    def story_stopped(self, story: Story, error: BaseException | None) -> None: ...


class Collecting:
    """Which stories collect events right now.

    Process-wide stories live in tuples that are replaced, never mutated, so the hot path reads
    them without a lock. Context stories live in a ContextVar, so concurrent requests (threads
    or asyncio tasks) each see only their own.
    """

    def __init__(self) -> None:
        self._process: tuple[Story, ...] = ()
        #: When nothing listens to the only process story (a test's, the commonest case) and
        #: no story of a context is open anywhere: its fast lane (``Story.fast_lane``), which
        #: the recorder appends to with one C call instead of a Python method per event, and
        #: without asking the context for its stories; every other case goes through
        #: ``deliver``.
        self.sole: FastLane | None = None
        # How many stories of a context are open, in any context: while one is, a record may
        # be due to it, and the recorder asks the context (``context``) on every call.
        self._open_in_contexts = 0
        self.context: ContextVar[tuple[Story, ...]] = ContextVar("chrono_stories", default=())
        #: Who is told when a story starts and stops (see ``StoryObserver``); replaced, never
        #: mutated, as ``process`` is.
        self.observers: tuple[StoryObserver, ...] = ()
        self._lock = threading.Lock()

    @property
    def process(self) -> tuple[Story, ...]:
        """The active process-wide stories, oldest first."""
        return self._process

    @process.setter
    def process(self, stories: tuple[Story, ...]) -> None:
        self._process = stories
        self._choose_sole()

    def _choose_sole(self) -> None:
        stories = self._process
        self.sole = None
        if len(stories) == 1 and stories[0].listener is None and not self._open_in_contexts:
            self.sole = stories[0].fast_lane()

    def deliver(self, record: RawTpRecord, in_context: tuple[Story, ...]) -> None:
        """Hand one tp record to every process story and to the context's stories."""
        for story in self._process:
            story.add(record)
        for story in in_context:
            story.add(record)

    def push_process(self, story: Story) -> None:
        with self._lock:
            self.process = (*self._process, story)

    def remove_process(self, story: Story) -> None:
        with self._lock:
            self.process = tuple(other for other in self._process if other is not story)

    def push_context(self, story: Story) -> Token[tuple[Story, ...]]:
        with self._lock:
            self._open_in_contexts += 1
            self._choose_sole()
        return self.context.set((*self.context.get(), story))

    def remove_context(self, story: Story, token: Token[tuple[Story, ...]] | None) -> None:
        with self._lock:
            self._open_in_contexts -= 1
            self._choose_sole()
        if token is not None:
            try:
                self.context.reset(token)
                return
            except ValueError:
                # Stopped from another context (a callback, a different task): the token is
                # not ours to reset, so take the story out by identity instead.
                pass
        self.context.set(tuple(other for other in self.context.get() if other is not story))

    def observe(self, observer: StoryObserver) -> None:
        """Tell ``observer`` of every story that starts from now on (once, however often)."""
        with self._lock:
            if observer not in self.observers:
                self.observers = (*self.observers, observer)

    def unobserve(self, observer: StoryObserver) -> None:
        """Tell ``observer`` of no more stories that start (those open still tell it)."""
        with self._lock:
            self.observers = tuple(other for other in self.observers if other is not observer)

    def innermost(self, among: Container[Story]) -> Story | None:
        """The innermost story collecting in this context that is one of ``among``: where an
        observer sends an event that several of its stories hold, so that it goes once."""
        for story in reversed(self.stories()):
            if story in among:
                return story
        return None

    def stories(self) -> tuple[Story, ...]:
        in_context = self.context.get()
        if in_context:
            return self.process + in_context
        return self.process


collecting = Collecting()
active_stories = collecting.stories


def current_story(among: Container[Story] | None = None) -> Story | None:
    """The innermost active story (a request's story before the test's), or None; with
    ``among``, the innermost of those (where an observer sends an event that several of its
    stories hold, so that it goes once)."""
    if among is not None:
        return collecting.innermost(among)
    in_context = collecting.context.get()
    if in_context:
        return in_context[-1]
    process = collecting.process
    return process[-1] if process else None


def observe(observer: StoryObserver) -> None:
    """Tell ``observer`` of every story that starts from now on: ``story_started(story)``,
    and ``story_stopped(story, error)`` when it stops. Observing twice is observing once."""
    collecting.observe(observer)


def unobserve(observer: StoryObserver) -> None:
    """Tell ``observer`` of no more stories that start (those open still tell it they stop)."""
    collecting.unobserve(observer)


def _reset_after_fork() -> None:
    # Another thread may have held the lock when the process forked: the child gets a fresh one.
    collecting._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
