"""Logpoints: an event recorded at a line of a file, as if ``tp(...)`` were written at its start,
without editing the file.

A spec reads ``FILE:LINE[:EXPR[,EXPR…]]``. ``parse_spec`` checks it before anything runs: the
file exists and compiles, the line holds code, each expression compiles. ``add`` makes the
logpoints live and ``remove`` takes them away; the event is the record a ``tp`` call makes
(``chrono._recorder.record_values``), so stories, renders, exports and comparisons read it as one.
Its call site's function carries ``LOGPOINT_MARK``, so that a reader knows no ``tp`` is written
there.

How the line is reached costs the rest of the program as little as each Python allows:

- 3.12+: ``sys.monitoring``, with a tool id of chrono's own. Each code object is looked at once,
  when it first starts or resumes (that location is then disabled); LINE events are turned on
  only for the code objects that hold a logpoint, and every other line of those is disabled
  after its first event. All other code runs at full speed.
- 3.9-3.11: a trace function (``sys.settrace``, and ``threading.settrace`` for new threads) that
  traces only the code objects holding a logpoint. Every Python call still pays for the trace
  function's call event; docs/performance.md says how much. A trace function that was there
  before (coverage.py, a debugger) is chained to, not replaced, and put back.

``CHRONO_AT`` (``install_from_environment``) sets logpoints in any process: the ``.pth`` startup
hook shipped with chrono imports this module only when the variable is set.
"""

from __future__ import annotations

import ast
import io
import linecache
import os
import re
import sys
import threading
import time
import tokenize
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any, Callable

from chrono import _config, _recorder, _switch
from chrono._callsite import CallSite, _holds_secret, _is_literal, _is_string_literal, function_name
from chrono._cells import cell_file

# The recorder's re-entry guard (the threads recording right now) is the logpoints' too.
from chrono._errors import from_outside, swallowed
from chrono._recorder import _busy, _busy_add, _busy_discard, _left_behind, busy_holders
from chrono._values import counted

if TYPE_CHECKING:
    from chrono._values import Secrets

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "LOGPOINT_MARK",
    "Logpoint",
    "LogpointError",
    "add",
    "add_to_environment",
    "install_from_environment",
    "parse_spec",
    "parse_specs",
    "remove",
]

#: The environment variable that sets logpoints in any Python process (``;`` between specs).
ENVIRONMENT_VARIABLE = "CHRONO_AT"
#: Written after the function's name in a logpoint's call site: ``shop.py:12 in total
#: (logpoint)``. It travels with the event (``Event.function``), so every view shows it.
LOGPOINT_MARK = " (logpoint)"
#: What a spec looks like, for error messages.
SPEC_FORM = "FILE:LINE or FILE:LINE:EXPR[,EXPR…]"

# The file is everything up to the first ``:digits`` that ends the spec or is followed by ``:``:
# a Windows drive letter (``C:\``) is not followed by digits.
_SPEC = re.compile(r"^(?P<file>.+?):(?P<line>[0-9]+)(?::(?P<expressions>.*))?$", re.DOTALL)

_monotonic_ns = time.monotonic_ns
_get_ident = threading.get_ident


class LogpointError(ValueError):
    """A spec that cannot be a logpoint; the message names the spec and what is wrong."""


class Logpoint:
    """One logpoint: where (a file's real path, a line) and what to record there."""

    __slots__ = (
        "expressions",
        "file",
        "has_label",
        "hits",
        "line",
        "literal",
        "programs",
        "sites",
        "spec",
    )

    def __init__(self, spec: str, file: str, line: int, expressions: tuple[str, ...]) -> None:
        #: As it was written, to name it in messages.
        self.spec = spec
        self.file = file
        self.line = line
        #: Each expression's text, whitespace folded as a tp argument's is.
        self.expressions = expressions
        self.programs = tuple(
            compile(text, f"<logpoint {spec}>", "eval", dont_inherit=True) for text in expressions
        )
        trees = [ast.parse(text, mode="eval").body for text in expressions]
        #: As for tp: a leading string literal is the event's label, and a literal shows its
        #: value alone.
        self.has_label = bool(trees) and _is_string_literal(trees[0])
        self.literal = tuple(_is_literal(tree) for tree in trees)
        #: How many times it ran, in this process.
        self.hits = 0
        #: Its call site in each code object it ran in, by code identity (the site keeps the
        #: code alive), with the secrets pattern the site's masks follow.
        self.sites: dict[int, tuple[Secrets | None, CallSite]] = {}

    def __repr__(self) -> str:
        return f"<Logpoint {self.spec!r}>"


def parse_spec(spec: str, roots: Sequence[str] = ()) -> Logpoint:
    """The logpoint ``spec`` asks for, checked against its file; a relative FILE is looked for
    under each of ``roots`` in turn, then the working directory. Raises ``LogpointError``."""
    written = spec.strip()
    match = _SPEC.match(written)
    if match is None:
        raise LogpointError(f"logpoint {spec!r} is not understood: write {SPEC_FORM}")
    line = int(match["line"])
    cell = cell_file(match["file"])
    if cell is not None:
        # A cell of the running IPython session (In[6]): its text is in linecache, where
        # IPython put it, and its code runs under the file name it was compiled with.
        path = cell if cell.startswith("<") else _real_path(cell)
        _check_lines(written, cell, "".join(linecache.getlines(cell)), line)
    else:
        path = _find_file(written, match["file"], roots)
        _check_line(written, path, line)
    expressions = _split_expressions(written, match["expressions"] or "")
    return Logpoint(written, path, line, expressions)


def parse_specs(specs: Iterable[str], roots: Sequence[str] = ()) -> list[Logpoint]:
    """``parse_spec`` of each non-blank spec; the first bad one raises ``LogpointError``."""
    return [parse_spec(spec, roots) for spec in specs if spec.strip()]


def _find_file(spec: str, file: str, roots: Sequence[str]) -> str:
    expanded = os.path.expanduser(file)
    if os.path.isabs(expanded):
        candidates = [expanded]
    else:
        candidates = [os.path.join(root, expanded) for root in (*roots, os.getcwd())]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return _real_path(candidate)
    looked = ", ".join(dict.fromkeys(os.path.dirname(each) or "." for each in candidates))
    where = "" if os.path.isabs(expanded) else f" (looked in {looked})"
    raise LogpointError(f"logpoint {spec!r}: no file {file}{where}")


def _check_line(spec: str, path: str, line: int) -> None:
    try:
        with tokenize.open(path) as handle:
            source = handle.read()
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        raise LogpointError(f"logpoint {spec!r}: cannot read {path}: {error}") from None
    _check_lines(spec, path, source, line)


def _check_lines(spec: str, path: str, source: str, line: int) -> None:
    total = len(source.splitlines())
    if line < 1 or line > total:
        raise LogpointError(
            f"logpoint {spec!r}: line {line} is past the end of {path} ({counted(total, 'line')})"
        )
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        raise LogpointError(f"logpoint {spec!r}: {path} does not compile: {error}") from None
    if not any(line in _own_lines(each) for each in _all_code(code)):
        raise LogpointError(
            f"logpoint {spec!r}: line {line} of {path} holds no code that runs"
            " (a blank line, a comment, or a line inside a statement that starts above)"
        )


def _split_expressions(spec: str, text: str) -> tuple[str, ...]:
    """The expressions of ``a, f(b, c), d["x,y"]``, split at the commas outside brackets."""
    if not text.strip():
        return ()
    pieces: list[str] = []
    start = 0
    depth = 0
    lines = text.splitlines(keepends=True) or [text]
    line_starts = [0]
    for each in lines:
        line_starts.append(line_starts[-1] + len(each))
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.OP:
                continue
            if token.string in "([{":
                depth += 1
            elif token.string in ")]}":
                depth -= 1
            elif token.string == "," and depth == 0:
                at = line_starts[token.start[0] - 1] + token.start[1]
                pieces.append(text[start:at])
                start = at + 1
    except (tokenize.TokenError, SyntaxError, IndentationError) as error:
        raise LogpointError(
            f"logpoint {spec!r}: {text.strip()!r} does not compile: {error}"
        ) from None
    pieces.append(text[start:])
    expressions = tuple(" ".join(piece.split()) for piece in pieces)
    for expression in expressions:
        if not expression:
            raise LogpointError(f"logpoint {spec!r}: an expression is empty (two commas in a row?)")
        try:
            compile(expression, "<logpoint>", "eval", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            message = getattr(error, "msg", None) or str(error)
            raise LogpointError(
                f"logpoint {spec!r}: expression {expression!r} does not compile: {message}"
            ) from None
    return expressions


def _all_code(code: CodeType) -> Iterator[CodeType]:
    yield code
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _all_code(constant)


def _own_lines(code: CodeType) -> set[int]:
    """The lines where this code object (not those nested in it) has instructions."""
    if sys.version_info >= (3, 10):
        return {line for _, _, line in code.co_lines() if line is not None}
    import dis

    return {line for _, line in dis.findlinestarts(code)}


_real_paths: dict[str, str] = {}


def _real_path(path: str) -> str:
    try:
        return _real_paths[path]
    except KeyError:
        real = _real_paths[path] = os.path.normcase(os.path.realpath(os.path.abspath(path)))
        return real


# -- what is live --------------------------------------------------------------------------------

#: The live logpoints, by file (real path) and line. Replaced, never mutated, when they change.
_table: dict[str, dict[int, tuple[Logpoint, ...]]] = {}
#: Each code object's logpoints by line (None: it holds none), by code identity; the code is
#: kept so that its id is not reused. Emptied whenever the table changes.
_code_lines: dict[int, tuple[CodeType, dict[int, tuple[Logpoint, ...]] | None]] = {}
#: Past this many code objects in ``_code_lines``, it starts afresh.
_MAX_CODES = 100_000
#: The file each code filename names, by the filename (None: no logpoint's file).
_files_of_names: dict[str, str | None] = {}
_backend: _Monitoring | _Tracing | None = None
#: Held while logpoints are added or taken away.
_installing = threading.Lock()


def add(logpoints: Iterable[Logpoint]) -> None:
    """Make ``logpoints`` live in this process (all threads). Nothing happens when chrono is off."""
    global _backend
    logpoints = list(logpoints)
    if not logpoints or not _switch.is_enabled():
        return
    with _installing:
        table = {file: dict(lines) for file, lines in _table.items()}
        for logpoint in logpoints:
            lines = table.setdefault(logpoint.file, {})
            lines[logpoint.line] = (*lines.get(logpoint.line, ()), logpoint)
        _replace_table(table)
        if _backend is None:
            _backend = _Monitoring() if sys.version_info >= (3, 12) else _Tracing()
            if not _backend.start():
                _backend = None
                return
        else:
            _backend.table_changed()
        _backend.watch_running_code()


def remove(logpoints: Iterable[Logpoint]) -> None:
    """Take ``logpoints`` away; with none left, chrono's hooks are taken away too."""
    global _backend
    gone = {id(logpoint) for logpoint in logpoints}
    with _installing:
        table: dict[str, dict[int, tuple[Logpoint, ...]]] = {}
        for file, lines in _table.items():
            for line, here in lines.items():
                kept = tuple(logpoint for logpoint in here if id(logpoint) not in gone)
                if kept:
                    table.setdefault(file, {})[line] = kept
        _replace_table(table)
        if _backend is not None:
            if table:
                _backend.table_changed()
            else:
                _backend.stop()
                _backend = None


def live() -> list[Logpoint]:
    """The live logpoints."""
    return [logpoint for lines in _table.values() for here in lines.values() for logpoint in here]


def _replace_table(table: dict[str, dict[int, tuple[Logpoint, ...]]]) -> None:
    global _table
    _table = table
    _code_lines.clear()
    _files_of_names.clear()


def _lines_of(code: CodeType) -> dict[int, tuple[Logpoint, ...]] | None:
    """The logpoints of ``code``'s own lines, by line; None when it holds none."""
    known = _code_lines.get(id(code))
    if known is not None and known[0] is code:
        return known[1]
    name = code.co_filename
    try:
        file = _files_of_names[name]
    except KeyError:
        file = _files_of_names[name] = _file_of_name(name)
    lines = None
    if file is not None:
        here = _table[file]
        found = {line: here[line] for line in _own_lines(code) if line in here}
        lines = found or None
    if len(_code_lines) >= _MAX_CODES:
        _code_lines.clear()  # code made afresh again and again (exec in a loop): start over
    _code_lines[id(code)] = (code, lines)
    return lines


def _file_of_name(name: str) -> str | None:
    if name.startswith("<") or not name:
        # A name that is no file: only an IPython cell's can be in the table (<ipython-input-…>).
        return name if name in _table else None
    real = _real_path(name)
    return real if real in _table else None


# -- recording -----------------------------------------------------------------------------------


class _Raised:
    """An expression's value when evaluating it raised: its repr names the exception."""

    __slots__ = ("text",)

    def __init__(self, error: BaseException) -> None:
        try:
            message = str(error)
        except Exception as failure:  # the exception's own __str__: its name alone
            if from_outside(failure):
                raise
            message = ""
        name = type(error).__name__
        if len(message) > 200:
            message = message[:200] + "…"
        self.text = f"<{name}: {message}>" if message else f"<{name}>"

    def __repr__(self) -> str:
        return self.text


def _new_site(logpoint: Logpoint, frame: FrameType, secrets: Secrets | None) -> CallSite:
    """The call site of ``logpoint`` in the code running in ``frame``, masks by ``secrets``."""
    texts = tuple(
        None if literal else text for text, literal in zip(logpoint.expressions, logpoint.literal)
    )
    if secrets is None:
        secret = (False,) * len(texts)
    else:
        secret = tuple(
            _holds_secret(ast.parse(text, mode="eval").body, secrets)
            for text in logpoint.expressions
        )
    code = frame.f_code
    function = function_name(frame) + LOGPOINT_MARK
    return CallSite(
        code.co_filename, logpoint.line, function, texts, logpoint.has_label, secret, code
    )


_record_values = _recorder.record_values


def _fire(logpoints: tuple[Logpoint, ...], frame: FrameType) -> None:
    """Record each of ``logpoints`` in ``frame``, at their line; never raises into the program.

    Runs at every hit: kept to the few steps each hit needs (docs/performance.md).
    """
    now_ns = _monotonic_ns()
    ident = _get_ident()
    if (ident in _busy and not _left_behind(ident)) or not _switch._enabled:
        # chrono's own work in this thread (an expression that reaches another logpoint, a
        # __repr__ that calls tp) is recorded by nothing, as tp does.
        return
    try:
        _busy_add(ident)  # inside the try, as tp takes it: see _recorder._left_behind
        secrets = _config.settings.secrets
        code = frame.f_code
        for logpoint in logpoints:
            logpoint.hits += 1
            known = logpoint.sites.get(id(code))
            if known is None or known[0] is not secrets or known[1].code is not code:
                known = logpoint.sites[id(code)] = (secrets, _new_site(logpoint, frame, secrets))
            programs = logpoint.programs
            if programs:
                names = frame.f_globals
                local_names = frame.f_locals
                values = tuple([_evaluate(program, names, local_names) for program in programs])
            else:
                values = ()
            _record_values(now_ns, ident, known[1], values)
    except Exception as error:
        if not swallowed(error):
            raise
    finally:
        _busy_discard(ident)


busy_holders.add((_fire.__code__.co_filename, _fire.__code__.co_name))


def _evaluate(program: CodeType, names: dict[str, Any], local_names: Mapping[str, Any]) -> Any:
    try:
        return eval(program, names, local_names)
    except BaseException as error:
        if from_outside(error):
            # The user's own interrupt or timeout, which the program would have had a moment
            # later.
            raise
        return _Raised(error)


# -- 3.12+: sys.monitoring -----------------------------------------------------------------------

_getframe = sys._getframe
_gettrace = sys.gettrace
_settrace = sys.settrace
_DISABLE = getattr(sys, "monitoring", None) and sys.monitoring.DISABLE  # type: ignore[attr-defined,unused-ignore]

#: The tool ids chrono tries, in turn: those that sys.monitoring names for no one
#: (0 debugger, 1 coverage, 2 profiler, 5 optimizer).
_TOOL_IDS = (4, 3)
TOOL_NAME = "chrono"


class _Monitoring:
    """Logpoints through ``sys.monitoring`` (Python 3.12+)."""

    def __init__(self) -> None:
        self.tool: int | None = None
        #: The code objects whose LINE events are on, by identity (kept alive here, so that
        #: their ids are not reused), and their logpoints by line.
        self.watched: dict[int, CodeType] = {}
        self.lines: dict[int, dict[int, tuple[Logpoint, ...]]] = {}

    def start(self) -> bool:
        monitoring = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        for tool in _TOOL_IDS:
            try:
                monitoring.use_tool_id(tool, TOOL_NAME)
            except ValueError:
                continue
            self.tool = tool
            break
        else:
            sys.stderr.write(
                "chrono: warning: logpoints are off: sys.monitoring has no free tool id"
                f" ({' and '.join(map(str, _TOOL_IDS))} are taken)\n"
            )
            return False
        events = monitoring.events
        # A generator or coroutine paused before the logpoints came is next seen resuming.
        for event in (events.PY_START, events.PY_RESUME):
            monitoring.register_callback(self.tool, event, self._on_start)
        monitoring.register_callback(self.tool, events.LINE, self._on_line)
        monitoring.set_events(self.tool, events.PY_START | events.PY_RESUME)
        return True

    def stop(self) -> None:
        monitoring = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        tool = self.tool
        if tool is None:
            return
        monitoring.set_events(tool, 0)
        for code in self.watched.values():
            monitoring.set_local_events(tool, code, 0)
        self.watched.clear()
        self.lines.clear()
        events = monitoring.events
        for event in (events.PY_START, events.PY_RESUME, events.LINE):
            monitoring.register_callback(tool, event, None)
        monitoring.free_tool_id(tool)
        self.tool = None

    def table_changed(self) -> None:
        monitoring = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        tool = self.tool
        if tool is None:
            return
        for code in self.watched.values():
            monitoring.set_local_events(tool, code, 0)
        self.watched.clear()
        self.lines.clear()
        # Code that started already was looked at for the old logpoints: look again. This
        # re-enables every tool's disabled events, which each tool's callbacks disable again.
        monitoring.restart_events()

    def watch_running_code(self) -> None:
        for frame in _running_frames():
            self._watch(frame.f_code)

    def _watch(self, code: CodeType) -> None:
        tool = self.tool
        lines = _lines_of(code)
        if tool is not None and lines is not None and id(code) not in self.watched:
            self.watched[id(code)] = code
            self.lines[id(code)] = lines
            monitoring = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
            monitoring.set_local_events(tool, code, monitoring.events.LINE)

    def _on_start(self, code: CodeType, offset: int) -> Any:
        try:
            self._watch(code)
        except Exception as error:
            if not swallowed(error):
                raise
        return _DISABLE

    def _on_line(self, code: CodeType, line: int) -> Any:
        lines = self.lines.get(id(code))
        logpoints = None if lines is None else lines.get(line)
        if logpoints is None:
            return _DISABLE
        _fire(logpoints, _getframe(1))
        return None


def _running_frames() -> Iterator[FrameType]:
    """Every frame running now, in every thread: code that started before the logpoints."""
    for frame in sys._current_frames().values():
        each: FrameType | None = frame
        while each is not None:
            yield each
            each = each.f_back


# -- 3.9-3.11: a trace function ------------------------------------------------------------------

#: A trace function (sys.settrace's, or what one returns for a frame); Any where it comes from
#: sys.gettrace(), whose type differs between typeshed's versions.
_TraceFunction = Callable[[FrameType, str, Any], Any]


class _Tracing:
    """Logpoints through a trace function that traces only the code holding one."""

    def __init__(self) -> None:
        self.active = False
        self.chain: _Chain | None = None
        self.previous_thread_hook: _TraceFunction | None = None

    def start(self) -> bool:
        self.active = True
        self.previous_thread_hook = _thread_hook()
        previous: Any = sys.gettrace()
        self.chain = _Chain(self, previous)
        sys.settrace(self.chain.on_call)
        threading.settrace(self._on_thread_start)
        return True

    def stop(self) -> None:
        self.active = False
        chain = self.chain
        # Put back what was there, unless someone replaced chrono's since (coverage stopping
        # sets none): theirs stands, and a stopped tracer is not brought back.
        if chain is not None and sys.gettrace() is chain.on_call:
            sys.settrace(chain.previous)
        if _thread_hook() == self._on_thread_start:
            threading.settrace(self.previous_thread_hook)  # type: ignore[arg-type,unused-ignore]
        self.chain = None

    def table_changed(self) -> None:
        pass  # every call asks the table afresh (_lines_of, emptied on each change)

    def watch_running_code(self) -> None:
        # Only this thread's frames can be given a trace function from here.
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            lines = _lines_of(frame.f_code)
            if lines is not None and frame.f_trace is None:
                frame.f_trace = _local_tracer(self, lines, None)
            frame = frame.f_back

    def _on_thread_start(self, frame: FrameType, event: str, arg: Any) -> Any:
        # A new thread: what was there before runs first (coverage installs its tracer for the
        # thread from here), then chrono's chains to whatever that left.
        previous_local = None
        hook = self.previous_thread_hook
        if hook is not None:
            previous_local = hook(frame, event, arg)
        current: Any = sys.gettrace()
        chain = _Chain(self, None if current == self._on_thread_start else current)
        sys.settrace(chain.on_call)
        return chain.local_for(frame, previous_local)


class _Chain:
    """chrono's trace function for one thread, with the one that was there before it."""

    def __init__(self, tracing: _Tracing, previous: _TraceFunction | None) -> None:
        self.tracing = tracing
        self.previous = previous
        #: The one bound method given to sys.settrace, so that it is known again by identity.
        self.on_call: _TraceFunction = self._on_call

    def _on_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        # Every Python call of the program comes here: most are answered by one lookup.
        previous = self.previous
        previous_local = None
        if previous is not None:
            previous_local = previous(frame, event, arg)
            # coverage.py's C tracer, called as a Python function, installs itself again the
            # C way, in place of whoever called it: chrono's comes back, and keeps calling it.
            if _gettrace() is not self.on_call:
                _settrace(self.on_call)
        code = frame.f_code
        known = _code_lines.get(id(code))
        if known is not None and known[1] is None and known[0] is code:
            return previous_local
        return self.local_for(frame, previous_local)

    def local_for(self, frame: FrameType, previous_local: _TraceFunction | None) -> Any:
        if not self.tracing.active:
            return previous_local
        try:
            lines = _lines_of(frame.f_code)
        except Exception as error:
            if not swallowed(error):
                raise
            lines = None
        if lines is None:
            return previous_local
        return _local_tracer(self.tracing, lines, previous_local)


def _local_tracer(
    tracing: _Tracing,
    lines: Mapping[int, tuple[Logpoint, ...]],
    chained: _TraceFunction | None,
) -> _TraceFunction:
    """The trace function of one frame that holds logpoints, calling ``chained`` after."""

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal chained
        if event == "line" and tracing.active:
            logpoints = lines.get(frame.f_lineno)
            if logpoints is not None:
                _fire(logpoints, frame)
        if chained is not None:
            chained = chained(frame, event, arg)
        return local

    return local


def _thread_hook() -> Any:
    if sys.version_info >= (3, 10):
        return threading.gettrace()
    return threading._trace_hook  # type: ignore[attr-defined,unused-ignore]


# -- CHRONO_AT -----------------------------------------------------------------------------------


#: Whether CHRONO_AT was read in this process.
_environment_read = False


def install_from_environment(environ: Mapping[str, str] = os.environ) -> list[Logpoint]:
    """Make the logpoints of ``CHRONO_AT`` live (specs separated by ``;``). A bad spec gets one
    warning on stderr and is left out; the others stand. Nothing happens when chrono is off,
    nor under ``python -E`` or ``-I``, which tell Python to ignore its own variables: a
    variable that runs code in every process must be ignored with them."""
    global _environment_read
    raw = environ.get(ENVIRONMENT_VARIABLE, "")
    # Once per process: site runs a venv's .pth files twice on some Pythons (3.12 does).
    if (
        _environment_read
        or not raw.strip()
        or not _switch.is_enabled()
        or sys.flags.ignore_environment  # -E, and -I, which implies it
    ):
        return []
    _environment_read = True
    logpoints = []
    for spec in re.split(r"[;\n]", raw):
        if not spec.strip():
            continue
        try:
            logpoints.append(parse_spec(spec))
        except LogpointError as error:
            sys.stderr.write(f"chrono: warning: {ENVIRONMENT_VARIABLE}: {error}; left out\n")
    try:
        add(logpoints)
    except Exception as error:  # a startup hook must never stop the program
        if not swallowed(error):
            raise
        sys.stderr.write(f"chrono: warning: {ENVIRONMENT_VARIABLE}: logpoints are off: {error!r}\n")
        return []
    return logpoints


def add_to_environment(logpoints: Iterable[Logpoint], environ: MutableMapping[str, str]) -> None:
    """Add ``logpoints`` to ``CHRONO_AT`` in ``environ``, with their files' absolute paths, so
    that the processes started from there set them too."""
    specs = [environ.get(ENVIRONMENT_VARIABLE, "").strip(), *map(_absolute_spec, logpoints)]
    environ[ENVIRONMENT_VARIABLE] = ";".join(spec for spec in specs if spec)


def _absolute_spec(logpoint: Logpoint) -> str:
    spec = f"{logpoint.file}:{logpoint.line}"
    return f"{spec}:{', '.join(logpoint.expressions)}" if logpoint.expressions else spec
