"""Sentry: a story's events as breadcrumbs, and the whole story on what Sentry captures in it.

```python
import sentry_sdk
from chrono.sentry import ChronoIntegration

sentry_sdk.init(dsn=..., integrations=[ChronoIntegration()])
```

Each event of a story (``tp`` events and log records) becomes a breadcrumb in the Sentry scope
where the story began, through Sentry's own ``add_breadcrumb``, so that ``max_breadcrumbs`` and
``before_breadcrumb`` apply to it as to any other. When Sentry captures an error or a message
while a story is open, the event carries the whole story so far as a plain-text attachment
(``chrono-story.txt``): breadcrumbs are bounded, the story keeps what they drop.

Only masked values leave the process (the recorder masks them when ``tp`` runs). Events outside
stories are not sent. With chrono off nothing is sent. Nothing here ever raises into the
program: a failing breadcrumb or attachment is left out.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

import chrono
from chrono._errors import swallowed
from chrono._events import SUBTEST_KIND
from chrono._logs import OWN_LOGGER
from chrono._switch import is_enabled
from chrono._text import content_text, line_breaks_marked

if TYPE_CHECKING:
    from chrono._events import Event
    from chrono._story import Story

__all__ = ["ChronoIntegration", "add_breadcrumb", "breadcrumb"]

#: What the attachment is called on a Sentry event.
ATTACHMENT_NAME = "chrono-story.txt"
#: The width the attached story is laid out for (long call sites are shortened to fit).
ATTACHMENT_WIDTH = 160
#: sentry-sdk's oldest release with the scopes API this module uses.
_OLDEST_SENTRY = "2.0"

_SENTRY_LEVELS = {
    "DEBUG": "debug",
    "INFO": "info",
    "WARNING": "warning",
    "ERROR": "error",
    "CRITICAL": "fatal",
}

try:
    import sentry_sdk
    from sentry_sdk.attachments import Attachment
    from sentry_sdk.integrations import Integration
    from sentry_sdk.scope import add_global_event_processor

    _missing: str | None = None
    if not hasattr(sentry_sdk, "get_isolation_scope"):
        _missing = (
            f"chrono.sentry needs sentry-sdk {_OLDEST_SENTRY} or later, and found "
            f"{getattr(sentry_sdk, 'VERSION', 'an older one')}"
        )
except ImportError as error:
    _missing = (
        f"chrono.sentry needs sentry-sdk (the sentry extra), which cannot be imported ({error})"
    )
    Integration = object  # type: ignore[assignment,misc]


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        sys.stderr.write(f"chrono: warning: {message}; Sentry gets no stories.\n")


_warned: set[str] = set()


class ChronoIntegration(Integration):
    """A sentry-sdk integration that sends chrono's stories to Sentry.

    ``breadcrumbs``: each event of a story becomes a breadcrumb (category ``chrono``).
    ``attach_story``: an event Sentry captures inside a story carries the story as text.
    """

    identifier = "chrono"

    def __init__(self, *, breadcrumbs: bool = True, attach_story: bool = True) -> None:
        self.breadcrumbs = _flag("breadcrumbs", breadcrumbs)
        self.attach_story = _flag("attach_story", attach_story)
        if _missing is not None:
            _warn_once(_missing)

    @staticmethod
    def setup_once() -> None:
        """Called by sentry-sdk once per process: start watching stories."""
        if _missing is not None:
            _warn_once(_missing)
            return
        add_global_event_processor(_add_story)
        chrono.observe(_observer)
        # The Django middleware logs a failed request's story through chrono's logger: Sentry
        # has that story already, attached to the error, and is not to make it a second event.
        from sentry_sdk.integrations.logging import ignore_logger

        ignore_logger(OWN_LOGGER)


def _flag(name: str, value: object) -> bool:
    """A yes/no setting; anything else is reported once and taken as True (the default)."""
    if isinstance(value, bool):
        return value
    sys.stderr.write(
        f"chrono: warning: ChronoIntegration's {name} must be True or False, not {value!r};"
        " using True.\n"
    )
    return True


def _integration() -> ChronoIntegration | None:
    """The integration of the active Sentry client, or None (no client, or not ours)."""
    integration: ChronoIntegration | None = sentry_sdk.get_client().get_integration(
        ChronoIntegration
    )
    return integration


class _BreadcrumbObserver:
    """Gives each story that starts under an active client a listener that adds breadcrumbs."""

    def __init__(self) -> None:
        #: The open stories that send breadcrumbs: an event goes to the innermost of them
        #: that holds it, once, however many stories hold it.
        self.open: set[Story] = set()

    def story_started(self, story: Story) -> Callable[[Event], object] | None:
        integration = _integration()
        if integration is None or not integration.breadcrumbs:
            return None
        # The scope where the story began: events from the threads it collects land there too.
        scope = sentry_sdk.get_isolation_scope()
        open_stories = self.open
        open_stories.add(story)
        logged_by_sentry = _level_sentry_logs_at()

        def add_breadcrumb(event: Event) -> None:
            if not is_enabled() or event.kind == SUBTEST_KIND:
                return  # a test runner's mark where a subtest ended is no event of the program
            # Alone, the story is the innermost that holds the event (it was handed it).
            if len(open_stories) > 1 and chrono.current_story(open_stories) is not story:
                return
            if event.kind == "log" and _logged_level(event) >= logged_by_sentry:
                return  # Sentry's logging integration made this breadcrumb already
            scope.add_breadcrumb(breadcrumb(event), {"chrono_event": event})

        return add_breadcrumb

    def story_stopped(self, story: Story, error: BaseException | None) -> None:
        self.open.discard(story)


_observer = _BreadcrumbObserver()


def add_breadcrumb(event: Event) -> None:
    """Add one event outside any story as a breadcrumb of the current Sentry scope. Events
    outside stories are not sent unless asked; this asks, as chrono's output:
    ``chrono.configure(output=chrono.sentry.add_breadcrumb)`` (they are then not printed).
    Never raises."""
    try:
        if _missing is not None or event.kind == SUBTEST_KIND:
            return
        integration = _integration()
        if integration is None or not integration.breadcrumbs:
            return
        sentry_sdk.add_breadcrumb(breadcrumb(event), {"chrono_event": event})
    except Exception as error:
        if not swallowed(error):
            raise


def breadcrumb(event: Event) -> dict[str, Any]:
    """The Sentry breadcrumb for one event: what the story shows, where, when."""
    if event.kind == "log":
        level = _SENTRY_LEVELS.get(event.label or "", "info")
        logger, message = event.items[0] if event.items else ("", "")
        text = f"{logger}: {line_breaks_marked(message)}"
    else:
        level = "debug"
        text = content_text(event.label, event.items)
    return {
        "type": "default",
        "category": "chrono",
        "level": level,
        "message": text,
        "timestamp": datetime.fromtimestamp(event.wall, timezone.utc),
        "data": {
            "seq": event.seq,
            "file": event.file,
            "line": event.line,
            "function": event.function,
            "thread": event.thread,
            "task": event.task,
        },
    }


def _level_sentry_logs_at() -> int:
    """The level from which Sentry's logging integration makes log records breadcrumbs."""
    logging_integration = sentry_sdk.get_client().get_integration("logging")
    if logging_integration is None:
        return sys.maxsize
    handler = getattr(logging_integration, "_breadcrumb_handler", None)
    if handler is None:
        return sys.maxsize  # it makes no breadcrumbs (level=None)
    return int(getattr(handler, "level", logging.INFO))


def _logged_level(event: Event) -> int:
    level = logging.getLevelName(event.label or "")
    return level if isinstance(level, int) else logging.INFO


def _add_story(event: Any, hint: Any) -> Any:
    """Sentry's event processor: an error or message captured in a story carries the story."""
    try:
        if event.get("type") == "transaction" or not is_enabled():
            return event
        integration = _integration()
        if integration is None or not integration.attach_story:
            return event
        story = chrono.current_story()
        if story is None or not len(story):
            return event
        text = story.text(width=ATTACHMENT_WIDTH) + "\n"
        attachments = hint.setdefault("attachments", [])
        attachments.append(
            Attachment(
                bytes=text.encode("utf-8", "backslashreplace"),
                filename=ATTACHMENT_NAME,
                content_type="text/plain",
            )
        )
        event.setdefault("contexts", {})["chrono"] = {
            "story": story.name,
            "events": story.received,
            "dropped": story.dropped,
        }
    except Exception as error:
        if not swallowed(error):
            raise
    return event
