"""chrono: timeline-style print debugging.

``tp(x)`` records ``x=<repr>`` with a sequence number, the time, the call site, the thread and
the asyncio task, and returns ``x``. Inside a test or ``chrono.story()`` events are buffered
into a story that is told when something fails; elsewhere each event is printed to stderr.
``CHRONO=off`` turns ``tp`` into a pass-through.

Only the hot path is imported here: rich, executing and asttokens load when first needed.
"""

from __future__ import annotations

from chrono._switch import (
    TYPE_CHECKING,
    disable,
    enable,
    enabled_from_environment,
    install,
    is_enabled,
    tp,
    uninstall,
)

if TYPE_CHECKING:
    from chrono._collecting import StoryObserver, current_story, observe, unobserve
    from chrono._compare import Divergence, compare
    from chrono._config import configure
    from chrono._errors import ChronoWarning
    from chrono._events import Event
    from chrono._story import Story, story
    from chrono._values import register_repr

__all__ = [
    "ChronoWarning",
    "Divergence",
    "Event",
    "Story",
    "StoryObserver",
    "compare",
    "configure",
    "current_story",
    "disable",
    "enable",
    "install",
    "is_enabled",
    "observe",
    "register_repr",
    "story",
    "tp",
    "uninstall",
    "unobserve",
]

# The one place the version is written: hatchling reads it for the package metadata
# ([tool.hatch.version] in pyproject.toml), and `chrono --version` prints it.
__version__ = "0.1.0"

if enabled_from_environment():
    enable()
else:
    disable()


def __getattr__(name: str) -> object:
    # The names a disabled chrono never needs load on first use: with CHRONO=off, importing
    # chrono reads one environment variable and defines tp.
    if name in ("Story", "story"):
        from chrono import _story

        return getattr(_story, name)
    if name == "Event":
        from chrono._events import Event

        return Event
    if name in ("StoryObserver", "current_story", "observe", "unobserve"):
        from chrono import _collecting

        return getattr(_collecting, name)
    if name == "ChronoWarning":
        from chrono._errors import ChronoWarning

        return ChronoWarning
    if name == "configure":
        from chrono._config import configure

        return configure
    if name == "register_repr":
        from chrono._values import register_repr

        return register_repr
    if name in ("Divergence", "compare"):
        from chrono import _compare

        return getattr(_compare, name)
    # The integrations, so that `chrono.sentry.ChronoIntegration()` works after `import chrono`
    # as the docs write it. Each is imported when first reached for, and with it its SDK: a
    # program that never names one loads neither.
    if name == "sentry":
        import chrono.sentry

        return chrono.sentry
    if name == "otel":
        import chrono.otel

        return chrono.otel
    raise AttributeError(f"module 'chrono' has no attribute {name!r}")


def load_ipython_extension(shell: object) -> None:
    """``%load_ext chrono``: the ``%chrono`` and ``%%chrono`` magics (``chrono.ipython``)."""
    from chrono import ipython

    ipython.load_ipython_extension(shell)


def unload_ipython_extension(shell: object) -> None:
    """``%unload_ext chrono``."""
    from chrono import ipython

    ipython.unload_ipython_extension(shell)


#: The public submodules reached as attributes: listed by dir(), left out of __all__ (a
#: `from chrono import *` must not import an SDK).
_INTEGRATIONS = ("otel", "sentry")


def __dir__() -> list[str]:
    # The public names, the integrations and the module's own dunders: not the helpers this
    # file imports (TYPE_CHECKING, annotations) nor the private submodules that importing
    # sets on it.
    dunders = (name for name in globals() if name.startswith("__") and name.endswith("__"))
    return sorted({*__all__, *_INTEGRATIONS, *dunders})
