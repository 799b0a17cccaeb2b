"""What a failure is about: the names its failing code reads, and the events recorded under them.

A failing test's report marks the events of its story that the failure is about, so that the
reader's eye lands on them first. The failing code is read in the frame where the exception
was raised (the innermost frame of the program's own, not a library's and not one hidden from
tracebacks): a failing ``assert`` statement's expression; for an assertion helper called there
(``self.assertEqual(total, 8)``) the call's arguments; for any other failure, or where the
source cannot be read, the names of that frame's local variables. An event is about the
failure when one of its items was recorded as one of the expressions read there
(``order.total``, ``items[0]``, ``len(cart)``), or under a name that hangs from a name read
there (``order.total`` when ``order`` is read).

Only a failing test pays for this: it reads the source of one statement, once. Nothing here
may fail a report: ``failure_focus`` gives None on any error of its own.
"""

from __future__ import annotations

import ast
import os
import sysconfig
import threading
from collections.abc import Iterable, Iterator
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, NamedTuple

from chrono._callsite import code_reads, function_name, node_text, statement_source
from chrono._errors import from_outside, swallowed
from chrono._events import SUBTEST_KIND, Event
from chrono._sites import reader_path, site_text

if TYPE_CHECKING:
    import executing

__all__ = ["EventMarks", "FailureFocus", "event_marks", "failure_focus"]

#: Events whose items are not the program's names: a log record's (logger, message), the
#: end of a subtest.
_UNNAMED_KINDS = frozenset({"log", SUBTEST_KIND})
#: The names a method's every expression hangs from: for them, the first attribute is the root
#: (``self.cart``), or every event recorded in a method would be about every failure there.
_INSTANCE_NAMES = frozenset({"self", "cls"})
#: Past this many characters, the expression a footnote quotes is cut.
_QUOTED_LENGTH = 100


class FailureFocus(NamedTuple):
    """What a failure is about, read from the code that failed."""

    #: The expressions read there, each as ``ast.unparse`` writes it.
    expressions: frozenset[str]
    #: The names the expressions hang from (``order``, ``self.cart``); called functions not.
    names: frozenset[str]
    #: What was read, for a reader: ``the failing assertion: assert total == 8 (file:line)``.
    about: str
    #: The functions, as ``(file, qualified name)``, of the failing frame and its callers in
    #: the traceback: only events recorded in them are about the failure (a same-named local
    #: of another function is another variable). None: any function.
    functions: frozenset[tuple[str, str]] | None = None
    #: The thread the failure was raised in (``threading.get_ident()``); None: any thread.
    thread: int | None = None


class EventMarks(NamedTuple):
    """The events of a story that a failure is about, by sequence number, and what it was."""

    seqs: frozenset[int]
    about: str


def failure_focus(error: BaseException, traceback: TracebackType | None) -> FailureFocus | None:
    """What the failure ``error`` (raised through ``traceback``) is about; None where it
    cannot tell. Never raises."""
    try:
        found = _failing_frame(traceback)
        if found is None:
            return None
        frame, line, functions = found
        try:
            focus = _focus_in(frame, line, error)
        finally:
            del frame
        if focus is None:
            return None
        return focus._replace(functions=functions, thread=threading.get_ident())
    except Exception as error:
        # Marking a story must never break a report.
        if not swallowed(error):
            raise
        return None


def event_marks(events: Iterable[Event], focus: FailureFocus) -> EventMarks | None:
    """The events a failure is about, among ``events``; None if there are none. An event is
    about it when recorded in the failing function or one of its callers, in the failing
    thread, under a name the failing code reads."""
    readings: dict[str, tuple[str, str | None]] = {}
    marked: list[int] = []
    functions, thread = focus.functions, focus.thread
    for event in events:
        if event.kind in _UNNAMED_KINDS:
            continue
        if functions is not None and (event.file, event.function) not in functions:
            continue
        if thread is not None and event.thread_id and event.thread_id != thread:
            continue
        for text, _value in event.items:
            if not text:
                continue
            reading = readings.get(text)
            if reading is None:
                reading = readings[text] = _reading(text)
            expression, root = reading
            if expression in focus.expressions or (root is not None and root in focus.names):
                marked.append(event.seq)
                break
    return EventMarks(frozenset(marked), focus.about) if marked else None


# -- the failing frame ----------------------------------------------------------------------


def _failing_frame(
    traceback: TracebackType | None,
) -> tuple[FrameType, int, frozenset[tuple[str, str]]] | None:
    """The frame the failure is read in, and its line: the innermost of the program's own;
    and the functions (file, qualified name) of the program's frames from the outermost to
    it, the failing one and its callers. None if the program has none there (a doctest's
    failure is raised by doctest): a library's local names say nothing about the program's
    events."""
    own: tuple[FrameType, int] | None = None
    seen: list[tuple[str, str]] = []
    functions: frozenset[tuple[str, str]] = frozenset()
    while traceback is not None:
        frame = traceback.tb_frame
        # The library check first: it reads no frame's locals.
        if not _is_library(frame.f_code.co_filename):
            seen.append((frame.f_code.co_filename, function_name(frame)))
            if not _is_hidden(frame):
                # 3.11+ may not know the line of an instruction.
                own = (frame, traceback.tb_lineno or frame.f_code.co_firstlineno)
                functions = frozenset(seen)
        traceback = traceback.tb_next
    return None if own is None else (*own, functions)


def _is_hidden(frame: FrameType) -> bool:
    """Whether a traceback leaves the frame out: pytest's ``__tracebackhide__`` (a helper that
    asks for its caller to be shown instead), unittest's ``__unittest`` (its assert methods)."""
    if "__unittest" in frame.f_globals:
        return True
    hide = frame.f_locals.get("__tracebackhide__", frame.f_globals.get("__tracebackhide__"))
    # pytest also takes a function of the exception, which only pytest can call.
    return bool(hide) and not callable(hide)


_library_roots: tuple[str, ...] | None = None


def _is_library(filename: str) -> bool:
    """Whether the file is the standard library's or an installed package's (not the
    program's own, which a failure is about)."""
    global _library_roots
    if filename.startswith("<"):
        return filename.startswith("<frozen")
    if _library_roots is None:
        paths = sysconfig.get_paths()
        _library_roots = tuple(
            {
                os.path.join(os.path.normcase(os.path.abspath(paths[key])), "")
                for key in ("stdlib", "platstdlib", "purelib", "platlib")
                if key in paths
            }
        )
    return os.path.normcase(os.path.abspath(filename)).startswith(_library_roots)


# -- what the failing code reads ------------------------------------------------------------


def _focus_in(frame: FrameType, line: int, error: BaseException) -> FailureFocus | None:
    code = frame.f_code
    where = site_text(reader_path(code.co_filename), line, function_name(frame))
    source = statement_source(code.co_filename, line, frame.f_globals)
    statement = _statement_at(source.tree, line) if source is not None else None
    expressions: list[ast.expr] = []
    # What the footnote quotes, and the node whose loads must be in the code.
    quoted: ast.expr | None = None
    checked: ast.stmt | ast.expr | None = None
    if isinstance(statement, ast.Assert):
        expressions, quoted, checked = [statement.test], statement.test, statement
    elif (
        isinstance(error, AssertionError)
        and isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
    ):
        # An assertion helper: what it compares are the call's arguments.
        call = statement.value
        expressions = [*call.args, *(keyword.value for keyword in call.keywords)]
        quoted = checked = call
    # pytest's assertion rewriting loads the same names, from places of its own.
    if checked is not None and code_reads(code, checked, at_its_positions=False):
        assert source is not None
        assert quoted is not None
        read, roots = _read_by(expressions)
        text = _quote(_one_line_text(source, quoted))
        if isinstance(statement, ast.Assert):
            text = f"assert {text}"
        about = f"the failing assertion: {text} ({where})"
        return FailureFocus(frozenset(read), frozenset(roots), about)
    names = frozenset(name for name in frame.f_locals if _is_program_name(name))
    if not names:
        return None
    about = f"the failure: names of the local variables where {type(error).__name__} was raised"
    return FailureFocus(names, names, f"{about} ({where})")


def _statement_at(tree: ast.AST | None, line: int) -> ast.stmt | None:
    """The innermost statement that spans ``line`` (in ``if ok: assert x``, the assert); None
    if there is none, or two (``assert a; assert b``: which one failed is not told)."""
    if tree is None:
        return None
    spanning = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    spanning_ids = {id(node) for node in spanning}
    innermost = [
        node
        for node in spanning
        if not any(id(inner) in spanning_ids for inner in ast.walk(node) if inner is not node)
    ]
    return innermost[0] if len(innermost) == 1 else None


def _read_by(expressions: list[ast.expr]) -> tuple[set[str], set[str]]:
    """The sub-expressions the expressions read (names, attributes, subscripts and calls, as
    ``ast.unparse`` writes them), and the names those hang from."""
    read: set[str] = set()
    roots: set[str] = set()
    for expression in expressions:
        bound = _bound_inside(expression)
        called = {id(node.func) for node in ast.walk(expression) if isinstance(node, ast.Call)}
        for node in _readers(expression):
            root = _root(node)
            if root is not None and root.split(".")[0] in bound:
                continue  # a comprehension's or a lambda's own variable
            read.add(ast.unparse(node))
            if root is not None and id(node) not in called and not isinstance(node, ast.Call):
                roots.add(root)
    return read, roots


def _readers(expression: ast.expr) -> Iterator[ast.expr]:
    for node in ast.walk(expression):
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
            yield node


def _bound_inside(expression: ast.expr) -> set[str]:
    """The names a comprehension or a lambda inside the expression binds for itself."""
    bound: set[str] = set()
    for node in ast.walk(expression):
        if isinstance(node, ast.comprehension):
            bound.update(name.id for name in ast.walk(node.target) if isinstance(name, ast.Name))
        elif isinstance(node, ast.Lambda):
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            every += [each for each in (arguments.vararg, arguments.kwarg) if each is not None]
            bound.update(argument.arg for argument in every)
    return bound


def _root(node: ast.expr) -> str | None:
    """The name an expression hangs from: ``order`` for ``order.total``, ``items[0]`` and
    ``order.count()``; ``len`` for ``len(cart)``; ``self.cart`` for ``self.cart.total``.
    None when it hangs from no name (``(a + b).real``)."""
    outer: ast.expr | None = None
    while not isinstance(node, ast.Name):
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            outer, node = node, node.value
        elif isinstance(node, ast.Call):
            outer, node = node, node.func
        else:
            return None
    if node.id in _INSTANCE_NAMES and isinstance(outer, ast.Attribute):
        return f"{node.id}.{outer.attr}"
    return node.id


def _reading(text: str) -> tuple[str, str | None]:
    """A recorded item's text as ``ast.unparse`` writes it, and the name it hangs from."""
    try:
        node = ast.parse(text, mode="eval").body
        return ast.unparse(node), _root(node)
    except Exception as error:
        # Not an expression: a placeholder for a name that could not be read.
        if from_outside(error):
            raise
        return text, None


def _is_program_name(name: str) -> bool:
    # Not pytest's assertion rewriting's (``@py_assert1``), nor a dunder (__tracebackhide__).
    return name.isidentifier() and not (name.startswith("__") and name.endswith("__"))


def _one_line_text(source: executing.Source, node: ast.expr) -> str:
    """The node as written, if on one line; else as ``ast.unparse`` writes it on one."""
    text = node_text(source, node) if node.lineno == node.end_lineno else None
    return text or ast.unparse(node)


def _quote(text: str) -> str:
    return text if len(text) <= _QUOTED_LENGTH else text[: _QUOTED_LENGTH - 1] + "…"
