"""The default of ``tp``'s first parameter, in a leaf: both bodies of ``tp`` (the switch's
passthrough and the recorder's) read it, and neither module need import the other for it."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class _Nothing:
    """The default of ``tp``'s first parameter: tells ``tp()`` from ``tp(None)``."""

    def __repr__(self) -> str:
        return "<no value>"


#: Shared by both bodies of ``tp`` (the recorder's and the passthrough) through ``tp``'s
#: namespace: ``tp(n=1)`` returns 1 but ``tp(None, n=1)`` returns ``(None, 1)``, and only a
#: default that no caller can pass tells the two apart.
_NOTHING: Any = _Nothing()
