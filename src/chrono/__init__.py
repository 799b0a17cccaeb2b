"""chrono: timeline-style print debugging.

``tp(x)`` records ``x=<repr>`` with a sequence number, the time, the call site, the thread and
the asyncio task, and returns ``x``. Inside a test or ``chrono.story()`` events are buffered
into a story that is told when something fails; elsewhere each event is printed to stderr.
``CHRONO=off`` turns ``tp`` into a pass-through.

Only the hot path is imported here: rich, executing and asttokens load when first needed.
"""

from __future__ import annotations

from chrono._config import configure
from chrono._events import Event, Story, current_story, story
from chrono._switch import disable, enable, enabled_from_environment, install, is_enabled, tp

__all__ = [
    "Event",
    "Story",
    "configure",
    "current_story",
    "disable",
    "enable",
    "install",
    "is_enabled",
    "story",
    "tp",
]

__version__ = "0.1.0"

if enabled_from_environment():
    enable()
else:
    disable()
