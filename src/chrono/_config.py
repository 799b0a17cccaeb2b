"""chrono's settings: resolved once into plain values, so the hot path never re-reads them."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from typing import IO, TYPE_CHECKING, Any, Callable, Union

from chrono._secrets import DEFAULT_SECRET_NAMES, Secrets, secrets_from

if TYPE_CHECKING:
    from chrono._events import Event

#: What ``configure(output=...)`` accepts: a keyword, a file path, a text stream, a logger, or
#: a callable that receives each ``Event``.
OutputTarget = Union[str, "os.PathLike[str]", IO[str], logging.Logger, Callable[["Event"], object]]

OUTPUT_KEYWORDS = ("stderr", "stdout", "logging")
DEFAULT_REPR_LIMIT = 1_000
_MINIMUM_REPR_LIMIT = 20


_DEFAULT_SECRETS = Secrets(DEFAULT_SECRET_NAMES)


@dataclass(frozen=True)
class Settings:
    """Everything that shapes what ``tp`` records and where live events go."""

    repr_limit: int = DEFAULT_REPR_LIMIT
    secrets: Secrets | None = _DEFAULT_SECRETS
    output: OutputTarget = "stderr"
    #: The flight recorder's file for stories outside a test runner (None: no recorder).
    flight: str | None = None
    #: The recorder's first look for a call site, by instruction offset. It belongs to these
    #: settings (a call site's masks come from ``secrets``): ``configure()`` makes new
    #: settings, whose table starts empty, so no cache has to be told of the change. Not an
    #: argument: ``replace()`` leaves it out, and the new settings get a table of their own.
    sites_by_offset: dict[int, Any] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )


settings = Settings()


def configure(
    *,
    output: OutputTarget | None = None,
    repr_limit: int | None = None,
    secret_names: str | None = None,
    secret_forms: bool | None = None,
    secret_values: str | None = None,
    flight: str | os.PathLike[str] | bool | None = None,
) -> None:
    """Change how chrono records and where it prints; arguments left out keep their values.

    ``output``: where events outside a story go, one line each: ``"stderr"`` (the default),
    ``"stdout"``, ``"logging"`` (the ``chrono`` logger, at INFO), a file path, an open text
    stream, a ``logging.Logger``, or a callable that receives each ``chrono.Event``.

    ``repr_limit``: values whose repr is longer are cut there, with the full length stated.

    ``secret_names``: a regular expression (case-insensitive); an argument whose source text
    matches it, and a ``key=value`` or ``'key': value`` inside a repr whose key matches it,
    are shown as ``<masked>``. An empty string turns masking by name off.

    ``secret_forms``: whether values that look like secrets are masked whatever their name:
    the credential after an HTTP auth scheme, the password in a URL, a private key block,
    tokens of well-known formats (``docs/configuration.md`` lists them).

    ``secret_values``: a regular expression of your own; wherever it matches in a recorded
    text, the match is masked. An empty string (the default) adds none.

    ``flight``: a file path for the flight recorder: while a story runs (``chrono.story()``,
    a request's story under the Django middleware), its newest events are kept in that file,
    written from a background thread every 50 ms, so that a process that dies
    leaves them behind (``chrono show FILE`` prints them). The file is made private (0600)
    and removed when the process exits normally. ``False`` turns the recorder off.
    """
    global settings
    changes: dict[str, object] = {}
    if output is not None:
        check_output_target(output)
        changes["output"] = output
    if repr_limit is not None:
        if isinstance(repr_limit, bool) or not isinstance(repr_limit, int):
            raise TypeError(
                f"chrono.configure: repr_limit must be a whole number of characters "
                f"(>= {_MINIMUM_REPR_LIMIT}), not {repr_limit!r}"
            )
        if repr_limit < _MINIMUM_REPR_LIMIT:
            raise ValueError(
                f"chrono.configure: repr_limit must be >= {_MINIMUM_REPR_LIMIT}, not {repr_limit}"
            )
        changes["repr_limit"] = repr_limit
    if flight is not None:
        changes["flight"] = _flight_path(flight)
    if secret_names is not None or secret_forms is not None or secret_values is not None:
        changes["secrets"] = _compile_secrets(secret_names, secret_forms, secret_values)
    # New settings, never changed in place: each cache built from the old ones (call sites,
    # the live output) sees that they are not the ones it was built from, and builds again.
    settings = replace(settings, **changes)  # type: ignore[arg-type]


def _flight_path(flight: object) -> str | None:
    """The recorder's file as settings keep it: a path whose folder exists, or None (off)."""
    if flight is False:
        return None
    if isinstance(flight, bool) or not isinstance(flight, (str, os.PathLike)):
        raise TypeError(f"chrono.configure: flight must be a file path or False, not {flight!r}")
    path = os.path.abspath(os.fspath(flight))
    if not os.path.isdir(os.path.dirname(path)):
        raise ValueError(f"chrono.configure: flight={flight!r}: its folder does not exist")
    if os.path.isdir(path):
        raise ValueError(f"chrono.configure: flight={flight!r} is a folder; give a file path")
    return path


def check_output_target(target: object) -> None:
    """Raise a clear error for an ``output`` that chrono cannot write to."""
    if isinstance(target, str) and target in OUTPUT_KEYWORDS:
        return
    if isinstance(target, (str, os.PathLike)):
        # Opened now, so that a path chrono cannot write to is told here, not lost with every
        # event later.
        try:
            with open(target, "a", encoding="utf-8"):
                pass
        except (OSError, ValueError) as error:
            raise ValueError(
                f"chrono.configure: output={target!r} cannot be written to ({error}); give "
                "'stderr', 'stdout', 'logging', a writable file path, a text stream, a "
                "logging.Logger or a callable taking an Event"
            ) from None
        return
    if isinstance(target, logging.Logger):
        return
    if callable(getattr(target, "write", None)) or callable(target):
        return
    raise TypeError(
        "chrono.configure: output must be 'stderr', 'stdout', 'logging', a file path, "
        f"a text stream, a logging.Logger or a callable taking an Event; not {target!r}"
    )


def _compile_secrets(names: str | None, forms: bool | None, values: str | None) -> Secrets | None:
    """The secrets of the current settings with these changes (None: left as they are)."""
    import re

    current = settings.secrets
    if names is None:
        names = "" if current is None else current.names
    elif not isinstance(names, str):
        raise TypeError(
            f"chrono.configure: secret_names must be a regular expression string, not {names!r}"
        )
    if forms is None:
        forms = current is not None and current.forms
    elif not isinstance(forms, bool):
        raise TypeError(f"chrono.configure: secret_forms must be True or False, not {forms!r}")
    if values is None:
        values = "" if current is None else current.values
    elif not isinstance(values, str):
        raise TypeError(
            f"chrono.configure: secret_values must be a regular expression string, not {values!r}"
        )
    try:
        re.compile(names)
    except re.error as error:
        raise ValueError(
            f"chrono.configure: secret_names is not a valid regular expression: {error}"
        ) from None
    # secret_values joins chrono's own pattern, where a global flag such as (?i) is an error
    # from 3.11 on (before, a warning, and the flag would apply to chrono's patterns too): the
    # scoped form (?i:...) is the one to use, on every version.
    hint = " (a flag applies to a group of its own: (?i:...))"
    try:
        global_flags = re.compile(values).flags & ~re.UNICODE if values else 0
    except re.error as error:
        raise ValueError(
            f"chrono.configure: secret_values is not a valid regular expression: {error}{hint}"
        ) from None
    if global_flags:
        raise ValueError(
            "chrono.configure: secret_values is not a valid regular expression here:"
            f" it sets a flag for the whole pattern{hint}"
        )
    try:
        return secrets_from(names, forms, values)
    except re.error as error:
        raise ValueError(
            f"chrono.configure: secret_values is not a valid regular expression here: {error}{hint}"
        ) from None


def reset() -> None:
    """Back to the defaults (for tests)."""
    global settings
    settings = Settings()
