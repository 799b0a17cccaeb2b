"""What a ``tp(...)`` call looks like in its caller's source, resolved once per call site.

executing finds the call node for a frame's current instruction. It normally parses the whole
file, which costs about a second for a 15,000-line module; we hand it a ``Source`` made of the
one top-level statement around the call instead (earlier lines blanked, so line and column
numbers are unchanged), and fall back to the whole file only when that does not work.

Such a ``Source`` is made by ``Source._for_filename_and_lines``, a private method of executing.
It is used only where it has the signature it was written against (``_makes_sources_of_lines``);
otherwise every lookup reads the whole file through executing's public API
(``Source.executing``, ``Source.for_filename``): slower on a large module's first call, with
the same names.
"""

from __future__ import annotations

import ast
import dis
import functools
import linecache
import os
import re
import sys
import time
from collections.abc import Iterator
from types import CodeType, FrameType
from typing import TYPE_CHECKING, NamedTuple

from chrono._errors import from_outside, held_signals, swallowed
from chrono._own_time import note_since
from chrono._sites import site_text

if TYPE_CHECKING:
    import logging

    import executing

    from chrono._config import Settings
    from chrono._values import Secrets

#: The name shown for an argument whose source text could not be read.
UNKNOWN_TEXT = "<?>"

# Lines that continue a top-level statement rather than start one: indented or blank lines,
# comments, closing brackets, and the clauses of a compound statement.
_CONTINUATION = re.compile(r"(?:else|elif|except|finally)\b|[)\]}#\s]|$")


class CallSite:
    """Where a ``tp`` call is, and how each of its arguments was written.

    One object per call site, shared by every event recorded there. A plain slotted class,
    not a tuple: hashing it is by identity, which lets a story count dropped events per site
    in one C-level pass.
    """

    __slots__ = (
        "code",
        "file",
        "first_text",
        "function",
        "has_label",
        "line",
        "mask_unnamed",
        "one_plain_value",
        "secret",
        "secret_keywords",
        "texts",
        "where",
    )

    def __init__(
        self,
        file: str,
        line: int,
        function: str,
        texts: tuple[str | None, ...] | None,
        has_label: bool,
        secret: tuple[bool, ...],
        code: CodeType,
        mask_unnamed: bool = False,
        secret_keywords: frozenset[str] = frozenset(),
        keywords: bool = False,
    ) -> None:
        self.file = file
        self.line = line
        self.function = function
        #: The text of each positional argument: as written in the source, or, without it,
        #: the name the bytecode loads or the placeholder. None for a literal argument, whose
        #: value is shown alone. None instead of a tuple where not even the number of
        #: arguments is known (``tp(*values)``). Keywords are named by the call itself.
        self.texts = texts
        #: Whether the first argument is a string literal, shown as the event's label.
        self.has_label = has_label
        #: The arguments whose text names a secret.
        self.secret = secret
        #: Keeps the code object alive, so that its id in the cache key is never reused.
        self.code = code
        #: Without source: whether the running code reads a secret-looking name on the call's
        #: lines, so that every value shown under the placeholder, and every keyword's value,
        #: is masked.
        self.mask_unnamed = mask_unnamed
        #: The keywords whose value's source text names a secret (``tp(n=user.api_key)``).
        self.secret_keywords = secret_keywords
        #: Whether the call is ``tp(x)``: one argument, its text known, no label, no secret,
        #: no keyword. (Where the text is known, the call has no ``*args`` or ``**fields``:
        #: each of its calls passes one value.)
        self.one_plain_value = (
            texts is not None
            and len(texts) == 1
            and not has_label
            and not any(secret)
            and not keywords
        )
        #: The first argument's text, if any: the name of a one-value call's value.
        self.first_text = texts[0] if texts else None
        #: The site as a comparison reads it (``_events.WhatRan``'s first field): one tuple
        #: shared by every event recorded here, so that a passing story made of them is
        #: marshalled with each site written once.
        self.where = ("tp", file, line, function, self.first_text)

    def __repr__(self) -> str:
        return f"<CallSite {site_text(self.file, self.line, self.function)} texts={self.texts!r}>"


_monotonic_ns = time.monotonic_ns

#: Every call site resolved, by (code identity, instruction offset), with the secrets pattern
#: its masks were worked out with.
_sites: dict[tuple[int, int], tuple[Secrets | None, CallSite]] = {}


def call_site(
    frame: FrameType,
    positional_count: int,
    keyword_names: tuple[str, ...],
    settings: Settings,
) -> CallSite:
    """The call site of the ``tp`` call running in ``frame``: resolved once, then cached.

    The recorder first looks in ``settings.sites_by_offset`` (the call site last seen at each
    instruction offset, whatever its code: an int key, no tuple to build) and calls this only
    when the site there is missing or belongs to other code (two functions calling tp at the
    same offset). That table belongs to the settings, so new settings start with an empty
    one; here a site resolved under another secrets pattern is resolved again.
    """
    code = frame.f_code
    offset = frame.f_lasti
    key = (id(code), offset)
    secrets = settings.secrets
    cached = _sites.get(key)
    if cached is not None and cached[0] is secrets:
        site = cached[1]
    else:
        # The event was timed before this lookup: its cost is chrono's, not the program's.
        started_ns = _monotonic_ns()
        try:
            # executing catches Exception where one way of finding the node fails: a timeout
            # raised in there by a signal handler would never reach the program. Held, it is
            # raised once the lookup is done, here (see chrono._errors).
            with held_signals():
                site = _resolve(frame, positional_count, keyword_names, secrets)
        except Exception as error:
            if not swallowed(error):
                raise
            # Reading the call failed as a whole: the import system is gone (a __del__ at
            # interpreter shutdown), or the stack is too near the recursion limit for
            # executing. The values are recorded all the same, and not cached: the next call
            # here may read its names.
            return _unread(frame, positional_count, keyword_names, secrets)
        finally:
            note_since(started_ns)
        _sites[key] = (secrets, site)
    settings.sites_by_offset[offset] = site
    return site


def _resolve(
    frame: FrameType,
    positional_count: int,
    keyword_names: tuple[str, ...],
    secrets: Secrets | None,
) -> CallSite:
    code = frame.f_code
    function = function_name(frame)
    call = _find_call(frame)
    if call is not None and _matches(call, positional_count, keyword_names, code):
        from_source = _source_texts(call, secrets)
        if from_source is not None:
            source_texts, has_label, secret, secret_keywords = from_source
            return CallSite(
                code.co_filename,
                frame.f_lineno,
                function,
                source_texts,
                has_label,
                secret,
                code,
                secret_keywords=secret_keywords,
                keywords=bool(keyword_names),
            )
    return _from_bytecode(frame, function, positional_count, keyword_names, secrets)


def _from_bytecode(
    frame: FrameType,
    function: str,
    positional_count: int,
    keyword_names: tuple[str, ...],
    secrets: Secrets | None,
) -> CallSite:
    """The call site as far as the running bytecode tells, with no source to go by."""
    code = frame.f_code
    mask_unnamed = secrets is not None and _reads_secret(frame, secrets)
    read = _bytecode_texts(code, frame.f_lasti, positional_count, len(keyword_names))
    texts = None if read is None else tuple(None if text == _LABEL else text for text in read)
    return CallSite(
        code.co_filename,
        frame.f_lineno,
        function,
        texts,
        read is not None and read[:1] == (_LABEL,),
        tuple(
            secrets is not None
            and text is not None
            and (mask_unnamed if text == UNKNOWN_TEXT else secrets.is_secret_name(text))
            for text in texts or ()
        ),
        code,
        mask_unnamed,
        keywords=bool(keyword_names),
    )


def _unread(
    frame: FrameType,
    positional_count: int,
    keyword_names: tuple[str, ...],
    secrets: Secrets | None,
) -> CallSite:
    """A call site for a call whose reading failed: what the bytecode tells if that can be
    read, else every value under the placeholder, all masked if the function names any secret
    at all. It imports nothing and goes only a few frames deep."""
    code = frame.f_code
    function = code.co_qualname if sys.version_info >= (3, 11) else code.co_name
    try:
        return _from_bytecode(frame, function, positional_count, keyword_names, secrets)
    except Exception as error:
        if not swallowed(error):
            raise
    masked = secrets is not None and any(
        secrets.is_secret_name(name) for name in (*code.co_names, *code.co_varnames)
    )
    return CallSite(
        code.co_filename,
        frame.f_lineno,
        function,
        (UNKNOWN_TEXT,) * positional_count,
        False,
        (masked,) * positional_count,
        code,
        masked,
        keywords=bool(keyword_names),
    )


def _source_texts(
    call: _FoundCall, secrets: Secrets | None
) -> tuple[tuple[str | None, ...], bool, tuple[bool, ...], frozenset[str]] | None:
    """The texts, label, and secret arguments and keywords of a call read from its source."""
    arguments = call.node.args
    source_texts = [node_text(call.source, argument) for argument in arguments]
    if not all(text is not None for text in source_texts):
        return None
    has_label = _is_string_literal(arguments[0]) if arguments else False
    texts = tuple(
        None if _is_literal(argument) else text for argument, text in zip(arguments, source_texts)
    )
    if secrets is None:
        return texts, has_label, (False,) * len(arguments), frozenset()
    secret = tuple(_holds_secret(argument, secrets) for argument in arguments)
    secret_keywords = frozenset(
        keyword.arg
        for keyword in call.node.keywords
        if keyword.arg is not None and _holds_secret(keyword.value, secrets)
    )
    return texts, has_label, secret, secret_keywords


#: Qualified names read from source (before Python 3.11), by code identity; each entry keeps
#: its code alive, so that the id is never reused.
_qualified_names: dict[int, tuple[CodeType, str]] = {}
#: Past this many (code ``exec``'d in a loop makes a new one each time), start afresh.
_MAX_QUALIFIED_NAMES = 10_000


def function_name(frame: FrameType) -> str:
    """The qualified name of the function running in ``frame`` (``Inventory.reserve``).

    The same on every Python: 3.11+ code objects carry it; before, executing reads it from the
    source around the code's first line, once per code object.
    """
    code = frame.f_code
    if sys.version_info >= (3, 11):
        return code.co_qualname
    known = _qualified_names.get(id(code))
    if known is not None and known[0] is code:
        return known[1]
    started_ns = _monotonic_ns()
    try:
        name = _qualified_name_from_source(code, frame.f_globals)
    finally:
        note_since(started_ns)
    if len(_qualified_names) >= _MAX_QUALIFIED_NAMES:
        _qualified_names.clear()
    _qualified_names[id(code)] = (code, name)
    return name


def _qualified_name_from_source(code: CodeType, module_globals: dict[str, object]) -> str:
    if code.co_name == "<module>":
        return code.co_name
    source = statement_source(code.co_filename, code.co_firstlineno, module_globals)
    if source is None:
        return code.co_name
    name = source.code_qualname(code)
    if name == code.co_name and source.tree is not None and name in _COMPREHENSION_NAMES.values():
        return _comprehension_qualified_name(source.tree, code) or name
    return name


#: The name of a comprehension's own code object (3.12 inlines all but generator expressions).
_COMPREHENSION_NAMES: dict[type[ast.AST], str] = {
    ast.ListComp: "<listcomp>",
    ast.SetComp: "<setcomp>",
    ast.DictComp: "<dictcomp>",
    ast.GeneratorExp: "<genexpr>",
}


def statement_source(
    filename: str, line_number: int, module_globals: dict[str, object]
) -> executing.Source | None:
    """An executing ``Source`` that holds the statement at ``line_number`` of ``filename``:
    its top-level statement where that parses, else the whole file; None without source."""
    lines = linecache.getlines(filename, module_globals)
    if not lines:
        return None
    import executing

    source = _statement_source(filename, lines, line_number)
    if source is None:
        source = executing.Source.for_filename(filename, module_globals)
    return source


def _statement_source(filename: str, lines: list[str], line_number: int) -> executing.Source | None:
    """A ``Source`` of the top-level statement around ``line_number``: it holds every class
    and function around that line, so parsing it, not the whole file, is enough. None where
    the statement does not parse or this executing cannot make such a source."""
    source_class = _StatementSource.source_class()
    if source_class is None:
        return None
    statement = _statement_lines(lines, line_number)
    if not statement:
        return None
    try:
        return source_class._for_filename_and_lines(filename, statement)
    except Exception as error:
        # A private method of executing that changed its behaviour but not its signature.
        if from_outside(error):
            raise
        return None


def _comprehension_qualified_name(tree: ast.AST, code: CodeType) -> str | None:
    """A comprehension's qualified name as 3.11 gives it (``Cart.total.<locals>.<genexpr>``),
    from the scopes around it; executing names only functions and classes."""
    for node in ast.walk(tree):
        if _COMPREHENSION_NAMES.get(type(node)) != code.co_name:
            continue
        if getattr(node, "lineno", None) != code.co_firstlineno:
            continue
        parts = [code.co_name]
        scope = getattr(node, "parent", None)  # executing links each node to its parent
        while scope is not None:
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                parts.append(f"{scope.name}.<locals>")
            elif isinstance(scope, ast.Lambda):
                parts.append("<lambda>.<locals>")
            elif isinstance(scope, ast.ClassDef):
                parts.append(scope.name)
            elif type(scope) in _COMPREHENSION_NAMES:
                parts.append(_COMPREHENSION_NAMES[type(scope)])
            scope = getattr(scope, "parent", None)
        return ".".join(reversed(parts))
    return None


def logged_function_name(record: logging.LogRecord) -> str | None:
    """The qualified name of the function that logged ``record``, as a ``tp`` there names it.

    A record is handled in the thread that logged it, while the logging call is still on the
    stack: its frame is the one at the record's file, line and function. Where no frame is
    (a record made elsewhere and handed on), None: the record's own ``funcName`` is all there is.
    """
    frame = _logging_frame(record)
    if frame is None:
        return None
    try:
        return function_name(frame)
    finally:
        del frame


def _logging_frame(record: logging.LogRecord) -> FrameType | None:
    path, line, name = record.pathname, record.lineno, record.funcName
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if (
            frame.f_lineno == line
            and code.co_name == name
            # logging normalises the case of the path (on Windows).
            and (code.co_filename == path or os.path.normcase(code.co_filename) == path)
        ):
            return frame
        frame = frame.f_back
    return None


def _reads_secret(frame: FrameType, secrets: Secrets) -> bool:
    """Whether the code running in ``frame`` names anything secret on the call's lines.

    Where the source cannot be read (``python -c``, ``exec``, a file edited since import), the
    names the bytecode loads are all that tells what the values are.
    """
    code = frame.f_code
    first = last = frame.f_lineno
    if sys.version_info >= (3, 11):
        index = _instruction_index(code, frame.f_lasti)
        if index is not None:
            position = _instructions(code)[index].positions
            if position is not None and position.lineno is not None:
                first, last = position.lineno, position.end_lineno or position.lineno
    return any(
        secrets.is_secret_name(name)
        for load in _name_loads(code, first, last)
        for name in load.names
    )


class _FoundCall(NamedTuple):
    node: ast.Call
    source: executing.Source


def _find_call(frame: FrameType) -> _FoundCall | None:
    import executing

    for source_class in (_StatementSource.source_class(), executing.Source):
        if source_class is None:
            continue
        try:
            found = source_class.executing(frame)
        except Exception as error:  # executing fails on some frames: try the next way
            if from_outside(error):
                raise
            continue
        if isinstance(found.node, ast.Call):
            return _FoundCall(found.node, found.source)
        if found.node is not None:
            return None
    if "IPython" in sys.modules:
        # A cell's statements run one by one: several on one line are told apart there.
        from chrono._cell_calls import cell_call

        in_cell = cell_call(frame)
        if in_cell is not None:
            return _FoundCall(*in_cell)
    return None


def _matches(
    call: _FoundCall, positional_count: int, keyword_names: tuple[str, ...], code: CodeType
) -> bool:
    """Whether the node found can be the call that ran: a wrong name is worse than none."""
    node = call.node
    if len(node.args) != positional_count:
        return False
    # ``**fields`` (a keyword without a name) passes names the source does not show.
    if tuple(keyword.arg for keyword in node.keywords) != keyword_names:
        return False
    if any(isinstance(argument, ast.Starred) for argument in node.args):
        return False
    # A file edited after import can put another call at the same place, even one that reads
    # names the code knows.
    return code_reads(code, node)


def code_reads(code: CodeType, node: ast.expr | ast.stmt, *, at_its_positions: bool = True) -> bool:
    """Whether ``code`` loads every name and attribute that ``node`` reads, on the node's
    lines: if not, the source is not the code's (the file was edited after import).

    ``at_its_positions`` also holds each load to the node's own place in the line where the
    Python tells it (3.11+); code that pytest's assertion rewriting made reads the same names
    from other places.
    """
    first_line, last_line = node.lineno, node.end_lineno or node.lineno
    loads = _name_loads(code, first_line, last_line)
    if not at_its_positions:
        loads = [load._replace(end=None) for load in loads]
    return all(_is_loaded(reference, name, loads) for reference, name in _references(node))


def _references(node: ast.AST) -> list[tuple[ast.expr, str]]:
    """The names and attributes the call's own code object reads (not inside lambdas or
    comprehensions, which have code objects of their own)."""
    references: list[tuple[ast.expr, str]] = []
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Name):
            if current.id != "__debug__":  # compiled to a constant
                references.append((current, current.id))
            continue
        if isinstance(current, ast.Attribute):
            references.append((current, current.attr))
        elif isinstance(current, _OWN_SCOPE_NODES):
            continue
        pending.extend(ast.iter_child_nodes(current))
    return references


class _NameLoad(NamedTuple):
    """An instruction that names something: its name(s), and where it ends in the source."""

    names: tuple[str, ...]
    #: ``(line, column)`` where the instruction's source ends; None where unknown (before
    #: 3.11, and for a superinstruction that loads two names from one position).
    end: tuple[int | None, int | None] | None


def _name_loads(code: CodeType, first_line: int, last_line: int) -> list[_NameLoad]:
    """The instructions of ``code`` on the call's lines that load, store or call a name."""
    loads: list[_NameLoad] = []
    line = code.co_firstlineno
    end: tuple[int | None, int | None] | None = None
    for instruction in _instructions(code):
        if sys.version_info >= (3, 11):
            position = instruction.positions
            if position is None or position.lineno is None:
                continue
            line = position.lineno
            end = (position.end_lineno, position.end_col_offset)
        else:
            line = instruction.starts_line or line
        if not first_line <= line <= last_line:
            continue
        argval = instruction.argval
        if isinstance(argval, str):
            loads.append(_NameLoad((argval,), end))
        elif isinstance(argval, tuple) and all(isinstance(each, str) for each in argval):
            loads.append(_NameLoad(argval, None))
    return loads


def _is_loaded(reference: ast.expr, name: str, loads: list[_NameLoad]) -> bool:
    # Private names are mangled in class bodies (``__x`` becomes ``_Class__x``).
    private = name.startswith("__") and not name.endswith("__")
    end = (reference.end_lineno, reference.end_col_offset)
    return any(
        (load.end is None or load.end == end)
        and any(each == name or (private and each.endswith(name)) for each in load.names)
        for load in loads
    )


def _instructions(code: CodeType) -> list[dis.Instruction]:
    return _instructions_of(id(code), code)


@functools.lru_cache(maxsize=16)
def _instructions_of(code_id: int, code: CodeType) -> list[dis.Instruction]:
    # Cached: every call site at the top level of a large module shares one code object.
    # Keyed by identity too: on 3.10 two code objects at different lines can compare equal
    # (the line table is no part of equality there), as two notebook cells that run the same
    # statement do, and the lines of one would be read for the other.
    return list(dis.get_instructions(code))


def _instruction_index(code: CodeType, offset: int) -> int | None:
    """Where in ``_instructions(code)`` the instruction running at ``offset`` is.

    On 3.11 and 3.12 a frame that called a Python function reports the offset of the call's
    last inline cache, which ``dis`` does not list: the instruction is the last one at or
    before the offset.
    """
    found = None
    for index, instruction in enumerate(_instructions(code)):
        if instruction.offset > offset:
            break
        found = index
    return found


#: In the texts ``_bytecode_texts`` returns: the argument is a string constant that leads the
#: call, the event's label.
_LABEL = "<label>"

#: The instructions that call with a fixed number of arguments, on Python 3.9 to 3.13.
_CALLS = frozenset({"CALL_FUNCTION", "CALL_FUNCTION_KW", "CALL_METHOD", "CALL", "CALL_KW"})
#: Between the last argument and the call: instructions that compute no argument (the
#: keyword names are a constant of their own on 3.11 and 3.12, a pushed tuple otherwise).
_CALL_PREPARATION = frozenset({"PRECALL", "KW_NAMES"})
#: Instructions that push the value of one variable, and nothing else.
_NAME_LOADS = frozenset(
    {
        "LOAD_NAME",
        "LOAD_FAST",
        "LOAD_FAST_CHECK",
        "LOAD_GLOBAL",
        "LOAD_DEREF",
        "LOAD_CLASSDEREF",
        "LOAD_FAST_LOAD_FAST",
    }
)
#: From 3.12 a class body reads an enclosing function's variable (or, under type parameters,
#: a global) in two steps: LOAD_LOCALS, then one of these.
_CLASS_BODY_LOADS = frozenset({"LOAD_FROM_DICT_OR_DEREF", "LOAD_FROM_DICT_OR_GLOBALS"})
_JUMPS = frozenset(dis.hasjrel) | frozenset(dis.hasjabs) | frozenset(getattr(dis, "hasjump", ()))
#: Instructions without effect that ``dis`` lists apart from the instruction they belong to.
_NO_OPERATION = frozenset({"EXTENDED_ARG", "NOP", "CACHE"})


class _Push(NamedTuple):
    """One value an instruction pushes, seen walking back from a call."""

    #: Where the instruction is in ``_instructions(code)``.
    position: int
    instruction: dis.Instruction
    #: The variable whose value this is, where the instruction only loads variables.
    name: str | None
    #: How many more values the stack holds after this push than before it.
    effect: int


def _bytecode_texts(
    code: CodeType, offset: int, positional_count: int, keyword_count: int
) -> tuple[str | None, ...] | None:
    """The text of each positional argument of the call at ``offset``, as its bytecode tells.

    A variable's name where the argument is exactly one load of that variable, ``_LABEL``
    for a leading string constant, None for any other constant, and the placeholder for the
    rest. None where the instruction is not a call with that many arguments (``tp(*values)``,
    tp called by a function written in C). Only code that runs straight from the callee's
    load to the call is read: a jump into or within it (``tp(a or b)``) could bring a value
    from elsewhere, and then every argument keeps the placeholder.
    """
    try:
        return _read_call(code, offset, positional_count, keyword_count)
    except ValueError:  # dis knows no stack effect for an instruction: read nothing
        return None


def _read_call(
    code: CodeType, offset: int, positional_count: int, keyword_count: int
) -> tuple[str | None, ...] | None:
    instructions = _instructions(code)
    call_index = _instruction_index(code, offset)
    if call_index is None or instructions[call_index].opname not in _CALLS:
        return None
    call = instructions[call_index]
    stack_arguments = positional_count + keyword_count
    if call.arg != stack_arguments:
        return None
    effect = _stack_effect(call)
    keyword_names: object = ()
    index = call_index - 1
    while index >= 0 and instructions[index].opname in _CALL_PREPARATION | _NO_OPERATION:
        preparation = instructions[index]
        effect += _stack_effect(preparation)
        if preparation.opname == "KW_NAMES":
            keyword_names = code.co_consts[preparation.arg or 0]
        index -= 1
    if call.opname.endswith("_KW"):
        if index < 0 or instructions[index].opname != "LOAD_CONST":
            return None
        keyword_names = instructions[index].argval
        effect += 1
        index -= 1
    if not isinstance(keyword_names, tuple) or len(keyword_names) != keyword_count:
        return None
    # The call pops its arguments and the slots that hold the callee, and pushes the result.
    callee_slots = 1 - effect - stack_arguments
    groups = _argument_groups(instructions, index, [1] * stack_arguments + [callee_slots])
    if groups is None:
        return None
    start = groups[-1][-1].position
    if any(
        instructions[each].opcode in _JUMPS or (each > start and instructions[each].is_jump_target)
        for each in range(start, call_index + 1)
    ):
        return (UNKNOWN_TEXT,) * positional_count
    # The groups run from the last argument back to the callee; keywords come last.
    positional = groups[keyword_count : keyword_count + positional_count][::-1]
    return tuple(
        _group_text(group, is_first=number == 0) for number, group in enumerate(positional)
    )


def _argument_groups(
    instructions: list[dis.Instruction], last: int, needs: list[int]
) -> list[list[_Push]] | None:
    """Walking back from ``instructions[last]``, the pushes that computed each stack value.

    ``needs`` says how many values each group leaves on the stack, topmost group first. Each
    group is listed backwards, its first instruction last. None where a boundary falls inside
    an instruction that does more than load variables.
    """
    groups: list[list[_Push]] = []
    pushes = _pushes_backwards(instructions, last)
    for need in needs:
        if need < 1:
            return None
        group: list[_Push] = []
        while need > 0:
            push = next(pushes, None)
            if push is None:
                return None
            group.append(push)
            need -= push.effect
            if need < 0:
                return None
        groups.append(group)
    return groups


def _pushes_backwards(instructions: list[dis.Instruction], last: int) -> Iterator[_Push]:
    for index in range(last, -1, -1):
        instruction = instructions[index]
        if instruction.opname in _NO_OPERATION:
            continue
        if instruction.opname == "LOAD_FAST_LOAD_FAST":
            # Two variables in one instruction (3.13): two values, possibly two arguments.
            first, second = instruction.argval
            yield _Push(index, instruction, second, 1)
            yield _Push(index, instruction, first, 1)
        elif instruction.opname in _NAME_LOADS and _stack_effect(instruction) == 1:
            yield _Push(index, instruction, instruction.argval, 1)
        else:
            yield _Push(index, instruction, None, _stack_effect(instruction))


def _stack_effect(instruction: dis.Instruction) -> int:
    if instruction.opcode < dis.HAVE_ARGUMENT:
        return dis.stack_effect(instruction.opcode)
    return dis.stack_effect(instruction.opcode, instruction.arg or 0)


def _group_text(group: list[_Push], is_first: bool) -> str | None:
    """The text of one argument computed by ``group`` (listed backwards)."""
    if len(group) == 1:
        (push,) = group
        if push.name is not None and _is_written_name(push.name):
            return push.name
        if push.instruction.opname == "LOAD_CONST":
            if is_first and isinstance(push.instruction.argval, str):
                return _LABEL
            return None
    elif (
        len(group) == 2
        and group[0].instruction.opname in _CLASS_BODY_LOADS
        and group[1].instruction.opname == "LOAD_LOCALS"
        and isinstance(group[0].instruction.argval, str)
        and _is_written_name(group[0].instruction.argval)
    ):
        return group[0].instruction.argval
    return UNKNOWN_TEXT


def _is_written_name(name: str) -> bool:
    """Whether the source can have written the variable ``name`` as it is loaded."""
    # pytest's assert rewriting loads values it computed from variables of its own
    # (``@py_assert1``); in a class, ``__total`` is loaded as ``_Class__total``.
    mangled = name.startswith("_") and "__" in name[1:].rstrip("_")
    return name.isidentifier() and not mangled


_OWN_SCOPE_NODES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def node_text(source: executing.Source, node: ast.AST) -> str | None:
    """The source text of ``node`` on one line (None where asttokens cannot tell it)."""
    try:
        text = source.asttext().get_text(node)
    except Exception as error:  # asttokens cannot place every node: no text
        if from_outside(error):
            raise
        return None
    if not text:
        return None
    # One line per item: a multi-line argument is folded, and runs of whitespace collapse.
    return " ".join(text.split())


def _holds_secret(node: ast.expr, secrets: Secrets) -> bool:
    """Whether the argument names a secret: ``password``, ``user.api_key``, ``h["Cookie"]``.

    Only the final name counts; a dict display or a call is not masked whole, the secret
    fields inside its repr are.
    """
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Index):  # Python 3.8
            key = key.value  # type: ignore[attr-defined]
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return False
        name = key.value
    else:
        return False
    return secrets.is_secret_name(name)


def _is_string_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant)


#: What ``Source._for_filename_and_lines`` takes, as of executing 2.3.
_LINES_SOURCE_PARAMETERS = ["filename", "lines"]


def _makes_sources_of_lines(source_class: type[executing.Source]) -> bool:
    """Whether ``source_class._for_filename_and_lines`` (executing's cached ``Source`` of given
    lines) is there with the signature chrono was written against.

    A private method: a release of executing may rename it or change what it takes. Checked
    once, before the first lookup, so that such a release sends every lookup down the public
    path instead of breaking them all.
    """
    import inspect

    method = getattr(source_class, "_for_filename_and_lines", None)
    if not callable(method):
        return False
    try:
        parameters = list(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return False
    return parameters == _LINES_SOURCE_PARAMETERS


def _make_statement_source() -> type[executing.Source] | None:
    """The executing ``Source`` class for one statement; None where this executing has no
    usable way to make a ``Source`` of given lines."""
    import executing

    if not _makes_sources_of_lines(executing.Source):
        return None

    class StatementSource(executing.Source):
        """An executing ``Source`` holding only the top-level statement around a frame's line."""

        @classmethod
        def for_frame(cls, frame: FrameType, use_cache: bool = True) -> executing.Source:
            filename = frame.f_code.co_filename
            lines = linecache.getlines(filename, frame.f_globals)
            return cls._for_filename_and_lines(filename, _statement_lines(lines, frame.f_lineno))

    return StatementSource


def _statement_lines(lines: list[str], line_number: int) -> tuple[str, ...]:
    """The file's lines up to the end of the top-level statement around ``line_number``, those
    before it blanked (so line and column numbers are unchanged); empty if none parses."""
    block = _top_level_statement(lines, line_number)
    if block is None:
        return ()
    start, end = block
    return (*(["\n"] * (start - 1)), *lines[start - 1 : end])


def _top_level_statement(lines: list[str], line_number: int) -> tuple[int, int] | None:
    """The first and last line (1-based) of the top-level statement containing ``line_number``.

    Judged by indentation: a statement starts at a column-0 line and runs until the next one.
    A column-0 line inside a triple-quoted string can mislead that, so a candidate must parse;
    if it does not, the next statement boundary outwards is tried, a few times, before the
    caller falls back to the whole file.
    """
    if not lines:
        return None
    line_number = max(1, min(line_number, len(lines)))
    starts = _boundaries(lines, line_number, step=-1)
    ends = _boundaries(lines, line_number, step=1)
    for attempt in range(_ATTEMPTS):
        for widen_start in range(attempt + 1):
            start = starts[min(widen_start, len(starts) - 1)]
            end = ends[min(attempt - widen_start, len(ends) - 1)]
            if _parses(lines[start - 1 : end]):
                return start, end
    return None


#: How many boundaries outwards, on each side, a block may be widened before giving up.
_ATTEMPTS = 4


def _boundaries(lines: list[str], line_number: int, step: int) -> list[int]:
    """Candidate first lines (step -1) or last lines (step 1) of the enclosing statement."""
    found: list[int] = []
    if step < 0:
        start = line_number
        while start >= 1 and len(found) < _ATTEMPTS:
            while start > 1 and _CONTINUATION.match(lines[start - 1]):
                start -= 1
            while start > 1 and lines[start - 2].startswith("@"):
                start -= 1
            found.append(start)
            start -= 1
    else:
        end = line_number
        while end <= len(lines) and len(found) < _ATTEMPTS:
            while end < len(lines) and _CONTINUATION.match(lines[end]):
                end += 1
            found.append(end)
            end += 1
    return found or [line_number]


def _parses(lines: list[str]) -> bool:
    try:
        ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        return False
    return True


class _LazyStatementSource:
    """Builds the executing subclass on first use: importing chrono imports nothing heavy."""

    _built = False
    _class: type[executing.Source] | None = None

    @classmethod
    def source_class(cls) -> type[executing.Source] | None:
        """The statement source class, or None where executing cannot give one (every lookup
        then reads the whole file through executing's public API)."""
        if not cls._built:
            cls._class = _make_statement_source()
            cls._built = True
        return cls._class


_StatementSource = _LazyStatementSource


def clear_cache() -> None:
    """Forget every resolved call site (for tests that rewrite source files)."""
    from chrono import _config

    _sites.clear()
    _config.settings.sites_by_offset.clear()
