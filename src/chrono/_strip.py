"""Rewrite a file without its leftover ``tp()`` calls, keeping what the program does.

Every change is an edit of the original text at exact positions, so comments, formatting,
tabs, line endings and encoding elsewhere stay byte for byte. The same decisions are also
applied to the syntax tree, and a file is rewritten only when parsing the new text gives
exactly that tree: a mistake here leaves a file unchanged, never changes what it does.
Parentheses are added only where the bare argument would parse differently in its place (the
brackets around it are read from the file's tokens), so that an expression wrapped in
``tp(...)`` and stripped comes back byte for byte.

What counts as free of side effects (and is dropped from a removed statement): names,
attributes, subscripts, literals and displays, f-strings, and operators on them. Strictly an
attribute may be a property and an operator may be overloaded, but a debugging call's
arguments are what a reader looks at, not what the program needs done; kept alone, they
would be expressions doing nothing (ruff's B018). Anything that may act (a call, ``await``,
``yield``, ``:=``, a comprehension, a lambda) is kept as an expression statement, without the
reading and combining around it where it runs unconditionally (``x == f()`` keeps ``f()``).
"""

from __future__ import annotations

import ast
import bisect
import difflib
import functools
import io
import tokenize
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chrono._leftovers import Leftover, LeftoverKind, SkippedFile, SourceFile, SourceText, parse

_Context = tuple[type, str]

# ``case ... if guard:`` (Python 3.10+); before, a type no node has.
_MATCH_CASE: type = getattr(ast, "match_case", type("NoMatchCase", (), {}))

# Places where any expression but a few fits without parentheses.
_OPEN_CONTEXTS: frozenset[_Context] = frozenset(
    {
        (ast.Assign, "value"),
        (ast.AnnAssign, "value"),
        (ast.AugAssign, "value"),
        (ast.Return, "value"),
        (ast.Lambda, "body"),
        (ast.Call, "args"),
        (ast.keyword, "value"),
        (ast.List, "elts"),
        (ast.Set, "elts"),
        (ast.Tuple, "elts"),
        (ast.Dict, "values"),
        (ast.If, "test"),
        (ast.While, "test"),
        (ast.Assert, "test"),
        (ast.Assert, "msg"),
        (ast.Subscript, "slice"),
        (ast.ListComp, "elt"),
        (ast.SetComp, "elt"),
        (ast.GeneratorExp, "elt"),
        (ast.DictComp, "value"),
        (ast.IfExp, "orelse"),
        (ast.arg, "annotation"),
        (ast.AnnAssign, "annotation"),
        (ast.FunctionDef, "returns"),
        (ast.AsyncFunctionDef, "returns"),
        (ast.FormattedValue, "value"),
        (ast.Slice, "lower"),
        (ast.Slice, "upper"),
        (ast.Slice, "step"),
        (ast.arguments, "defaults"),
        (ast.arguments, "kw_defaults"),
        (ast.Dict, "keys"),
        (ast.DictComp, "key"),
        # ``for x in a or b if not c``: any operator, but no lambda or conditional.
        (ast.comprehension, "iter"),
        (ast.comprehension, "ifs"),
        (_MATCH_CASE, "guard"),
    }
)
# A lambda or conditional expression ends only at a comma or closing bracket; where a colon
# or ``else`` may follow, it keeps parentheses.
_OPEN_TO_LAMBDAS = _OPEN_CONTEXTS - {
    (ast.If, "test"),
    (ast.While, "test"),
    (ast.Assert, "test"),
    (ast.Subscript, "slice"),
    (ast.arg, "annotation"),
    (ast.AnnAssign, "annotation"),
    (ast.FunctionDef, "returns"),
    (ast.AsyncFunctionDef, "returns"),
    (ast.FormattedValue, "value"),  # ``f"{lambda: 1}"`` reads ``: 1`` as a format spec
    (ast.Slice, "lower"),
    (ast.Slice, "upper"),
    (ast.Slice, "step"),
    (ast.arguments, "defaults"),  # in a lambda's parameters, a colon follows
    (ast.arguments, "kw_defaults"),
    (ast.Dict, "keys"),  # a colon follows
    (ast.DictComp, "key"),
    (ast.comprehension, "iter"),
    (ast.comprehension, "ifs"),
    (_MATCH_CASE, "guard"),
}
# A conditional expression also ends at the colon of a block or of a format spec.
_OPEN_TO_CONDITIONALS = _OPEN_TO_LAMBDAS | {
    (ast.If, "test"),
    (ast.While, "test"),
    (ast.Assert, "test"),
    (_MATCH_CASE, "guard"),
    (ast.FormattedValue, "value"),
}
_ATOMS = (
    ast.Name,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Call,
    ast.List,
    ast.ListComp,
    ast.Dict,
    ast.DictComp,
    ast.Set,
    ast.SetComp,
    ast.JoinedStr,
)
_ALWAYS_PARENTHESIZED = (ast.Yield, ast.YieldFrom, ast.GeneratorExp, ast.Starred)
# ``if m := match(s):``, ``f(n := len(a))``: the places where ``:=`` needs no parentheses.
_OPEN_TO_ASSIGNMENT_EXPRESSIONS: frozenset[_Context] = frozenset(
    {(ast.If, "test"), (ast.While, "test"), (_MATCH_CASE, "guard"), (ast.Call, "args")}
)
# Expressions that only read and combine values; their parts must be such expressions too.
_EFFECT_FREE = (
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.UnaryOp,
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.JoinedStr,
    ast.FormattedValue,
)
_UNPACKED: _Context = (ast.Starred, "value")
_TUPLE_ELEMENT: _Context = (ast.Tuple, "elts")
_LAYOUT_TOKENS = frozenset(
    {
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.COMMENT,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
)


class StripRefused(Exception):
    """The rewrite could not be proven to keep the program's meaning; the file is left alone."""


@dataclass
class StripResult:
    """The new text of a file, how many calls it lost, and the calls left alone (with why)."""

    text: str
    stripped: int
    notes: list[tuple[Leftover, str]] = field(default_factory=list)


def strip_source(source_file: SourceFile, leftovers: Sequence[Leftover]) -> StripResult:
    """Remove ``leftovers`` from a parsed file, then the chrono imports nothing uses any more.

    Consumes ``source_file.tree``: the expected tree is built by editing it in place.
    Raises StripRefused when the new text would not parse to the expected tree.
    """
    names_before = _referenced_names(source_file.tree)
    calls = _CallStripper(source_file.source, source_file.tree, leftovers)
    if not calls.stripped:
        return StripResult(source_file.source.text, 0, calls.notes)
    text = calls.edits.result()
    tree = _parsed_as_expected(text, calls.edits.expected_tree(source_file.tree))
    imports = _ImportPruner(SourceText(text), tree, names_before)
    if imports.edits.changed:
        expected = imports.edits.expected_tree(tree)
        text = imports.edits.result()
        _parsed_as_expected(text, expected)
    return StripResult(text, calls.stripped, calls.notes)


def unified_diff(before: str, after: str, path: str) -> str:
    """A unified diff of two versions of a file, as ``git diff`` would show it."""
    lines = difflib.unified_diff(_lines(before), _lines(after), f"a/{path}", f"b/{path}")
    pieces = []
    for line in lines:
        pieces.append(line)
        if not line.endswith(("\n", "\r")):
            pieces.append("\n\\ No newline at end of file\n")
    return "".join(pieces)


def _lines(text: str) -> list[str]:
    starts = SourceText(text).line_starts
    ends = [*starts[1:], len(text)]
    return [text[start:end] for start, end in zip(starts, ends) if start < end]


def _parsed_as_expected(text: str, expected: ast.Module) -> ast.Module:
    try:
        tree = parse(text)
    except SkippedFile as reason:
        raise StripRefused(f"the rewritten text would not parse ({reason})") from None
    if ast.dump(tree) != ast.dump(expected):
        raise StripRefused("the rewrite would change the program (please report this)")
    return tree


# ---------------------------------------------------------------------------------------
# Text edits, mirrored on the syntax tree


@dataclass(frozen=True)
class _Link:
    parent: ast.AST
    field: str
    index: int | None


def _parent_links(tree: ast.AST) -> dict[int, _Link]:
    links: dict[int, _Link] = {}
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, ast.AST):
                links[id(value)] = _Link(parent, name, None)
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        links[id(item)] = _Link(parent, name, index)
    return links


class _Edits:
    """Edits of a text at exact offsets, and the same changes described on its tree.

    An edit's replacement is produced when the text is rendered, so a replacement may itself
    render the spans inside it: nested edits (``tp(tp(x))``) compose.
    """

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self._text_edits: list[tuple[int, int, Callable[[], str]]] = []
        self._edit_starts: list[int] | None = None  # sorted once edits are complete
        # Keyed by id(); the node is kept in the value so the id cannot be reused.
        self._statements: dict[int, tuple[ast.stmt, list[ast.stmt]]] = {}
        self._values: dict[int, ast.Call] = {}

    @property
    def changed(self) -> bool:
        return bool(self._text_edits)

    def replace(self, start: int, end: int, produce: Callable[[], str]) -> None:
        self._text_edits.append((start, end, produce))
        self._edit_starts = None

    def replace_node(self, node: ast.expr | ast.stmt, produce: Callable[[], str]) -> None:
        self.replace(*self.source.span(node), produce)

    def replace_statement(self, statement: ast.stmt, replacement: list[ast.stmt]) -> None:
        """Record what the tree gets instead of ``statement`` (nothing, ``pass``, others)."""
        self._statements[id(statement)] = (statement, replacement)

    def unwrap_call(self, call: ast.Call) -> None:
        """Record that the tree gets the call's value (None, its argument, or a tuple)."""
        self._values[id(call)] = call

    def is_unwrapped(self, node: ast.AST) -> bool:
        return id(node) in self._values

    def render(self, start: int, end: int) -> str:
        """The text between two offsets with every outermost edit inside them applied."""
        if self._edit_starts is None:
            # Outer edits first where several start at one offset.
            self._text_edits.sort(key=lambda edit: (edit[0], -edit[1]))
            self._edit_starts = [edit_start for edit_start, _, _ in self._text_edits]
        text = self.source.text
        pieces = []
        cursor = start
        for index in range(bisect.bisect_left(self._edit_starts, start), len(self._text_edits)):
            edit_start, edit_end, produce = self._text_edits[index]
            if edit_start >= end:
                break
            if edit_start < cursor or edit_end > end:
                continue  # inside an edit already applied, or reaching past the range
            pieces.append(text[cursor:edit_start])
            pieces.append(produce())
            cursor = edit_end
        pieces.append(text[cursor:end])
        return "".join(pieces)

    def render_node(self, node: ast.expr | ast.stmt) -> str:
        return self.render(*self.source.span(node))

    def result(self) -> str:
        return self.render(0, len(self.source.text))

    def expected_tree(self, tree: ast.Module) -> ast.Module:
        """``tree`` (edited in place) with the recorded changes: what the result must parse to."""
        edited = _TreeEditor(self._values, self._statements).visit(tree)
        assert isinstance(edited, ast.Module)
        return edited


class _TreeEditor(ast.NodeTransformer):
    def __init__(
        self,
        values: Mapping[int, ast.Call],
        statements: Mapping[int, tuple[ast.stmt, list[ast.stmt]]],
    ) -> None:
        self._values = values
        self._statements = statements

    def visit(self, node: ast.AST) -> Any:
        key = id(node)
        if key in self._statements:
            return [self.visit(statement) for statement in self._statements[key][1]]
        if key in self._values:
            arguments = [self.visit(argument) for argument in _values_of(self._values[key])]
            if not arguments:
                return ast.Constant(value=None)
            if len(arguments) == 1:
                return arguments[0]
            return ast.Tuple(elts=arguments, ctx=ast.Load())
        return super().visit(node)


def _nothing() -> str:
    return ""


def _values_of(call: ast.Call) -> list[ast.expr]:
    """What a tp() call returns, in order: positional arguments, then keyword values."""
    return [*call.args, *(keyword.value for keyword in call.keywords)]


def _removal_spans(items: Sequence[tuple[int, int, bool]]) -> Iterator[tuple[int, int]]:
    """Spans that delete the removed items of a separated sequence with their separators.

    ``items`` are (start, end, removed) in order, at least one kept: ``a; b; c`` or the
    names of an import. An item is removed up to the start of the next; the last one from
    the end of the nearest kept item before it (which covers removed ones in between).
    """
    last_kept_end = None
    for index, (start, end, removed) in enumerate(items):
        if not removed:
            last_kept_end = end
        elif index + 1 < len(items):
            yield start, items[index + 1][0]
        elif last_kept_end is not None:
            yield last_kept_end, end


def _remove_statements(edits: _Edits, links: Mapping[int, _Link], removed: list[ast.stmt]) -> None:
    """Delete statements, their lines when they are alone on them, and ``pass`` empty blocks."""
    source = edits.source
    removed_ids = {id(statement) for statement in removed}
    blocks: dict[tuple[int, str], list[ast.stmt]] = {}
    for statement in removed:
        link = links[id(statement)]
        block = getattr(link.parent, link.field)
        blocks[(id(link.parent), link.field)] = block
        if not isinstance(link.parent, ast.Module) and all(
            id(other) in removed_ids for other in block
        ):
            # A block cannot be empty: its first statement becomes ``pass`` instead.
            removed_ids.discard(id(block[0]))
            edits.replace_statement(block[0], [ast.Pass()])
            edits.replace_node(block[0], lambda: "pass")
    for statement in removed:
        if id(statement) in removed_ids:
            edits.replace_statement(statement, [])
    removed_lines: dict[int, bool] = {}  # line number: whether it starts its block
    for block in blocks.values():
        for group in _line_groups(block):
            flags = [id(statement) in removed_ids for statement in group]
            if not any(flags):
                continue
            first_start, _ = source.span(group[0])
            line_start = source.line_starts[group[0].lineno - 1]
            if all(flags) and not source.text[line_start:first_start].strip():
                end_lineno = group[-1].end_lineno or group[-1].lineno
                edits.replace(line_start, source.line_start_after(end_lineno), _nothing)
                starts_block = group[0] is block[0] and not isinstance(
                    links[id(group[0])].parent, ast.Module
                )
                for lineno in range(group[0].lineno, end_lineno + 1):
                    removed_lines[lineno] = starts_block
                continue
            items = [(*source.span(statement), flag) for statement, flag in zip(group, flags)]
            for start, end in _removal_spans(items):
                edits.replace(start, end, _nothing)
    for lineno in _surplus_blank_lines(source, removed_lines):
        edits.replace(source.line_starts[lineno - 1], source.line_start_after(lineno), _nothing)


def _surplus_blank_lines(source: SourceText, removed_lines: Mapping[int, bool]) -> Iterator[int]:
    """Blank lines to delete so that removing lines leaves no longer gap than was there.

    Blank lines around removed ones, between the nearest lines kept, merge into one gap: it
    keeps as many as the longest run it merged (two before a ``def`` stay two), none at the
    end of the file, and only those it had before at the start of the file or of a block.
    Lines between statements hold no string, so a blank line here is only layout.
    """
    line_count = len(source.line_starts)
    if not source.text[source.line_starts[-1] :]:
        line_count -= 1  # the text ends with a line break: no line after it

    def is_blank(lineno: int) -> bool:
        return (
            lineno not in removed_lines
            and not source.text[source.line_starts[lineno - 1] : source.line_end(lineno)].strip()
        )

    lineno = 1
    while lineno <= line_count:
        if lineno not in removed_lines:
            lineno += 1
            continue
        top = lineno
        while top > 1 and is_blank(top - 1):
            top -= 1
        bottom = lineno
        while bottom < line_count and (bottom + 1 in removed_lines or is_blank(bottom + 1)):
            bottom += 1
        runs: list[list[int]] = [[]]  # the blank lines before each removed run, and after
        for each in range(top, bottom + 1):
            if each not in removed_lines:
                runs[-1].append(each)
            elif each - 1 not in removed_lines or each == top:
                runs.append([])
        blank_lines = [each for run in runs for each in run]
        if bottom == line_count:
            keep = 0
        elif top == 1 or removed_lines[lineno]:
            keep = len(runs[0])
        else:
            keep = max(len(run) for run in runs)
        yield from blank_lines[keep:]
        lineno = bottom + 1


def _line_groups(block: list[ast.stmt]) -> Iterator[list[ast.stmt]]:
    """Runs of statements that share lines (``a = 1; b = 2``)."""
    group = [block[0]]
    for statement in block[1:]:
        if statement.lineno == group[-1].end_lineno:
            group.append(statement)
        else:
            yield group
            group = [statement]
    yield group


# ---------------------------------------------------------------------------------------
# Where parentheses are needed


@dataclass(frozen=True)
class _Layout:
    enclosed: bool  # the whole text is one bracketed group: (a, b), [x], {...}
    loose_line_break: bool  # a line break outside every bracket: needs brackets to stay one line


def _layout(text: str) -> _Layout:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text, newline="").readline))
    except (tokenize.TokenError, SyntaxError):
        return _Layout(enclosed=False, loose_line_break=True)
    depth = 0
    loose_line_break = False
    first_close = -1
    significant = 0
    for token in tokens:
        if token.type in (tokenize.NL, tokenize.NEWLINE) and token.string and depth == 0:
            loose_line_break = True
        if token.type in _LAYOUT_TOKENS:
            continue
        significant += 1
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
            if depth == 0 and first_close < 0:
                first_close = significant
    opens = bool(tokens) and tokens[0].type == tokenize.OP and tokens[0].string in "([{"
    return _Layout(opens and first_close == significant, loose_line_break)


@dataclass(frozen=True)
class _Place:
    """Where an unwrapped call's value finally stands, once every call around it is gone."""

    context: _Context
    parent: ast.AST | None  # the node it is a part of; None in a tuple or after ``**``
    in_brackets: bool = False  # inside brackets or an f-string's field: line breaks may stay
    in_parentheses: bool = False  # alone between ``(`` and ``)``: almost anything fits
    after_brace: bool = False  # just after the ``{`` of an f-string's field
    parent_in_parentheses: bool = False  # a tuple parent with parentheses of its own


# Elements of the tuple a call of several values becomes, inside the parentheses it gets.
_IN_TUPLE = _Place(_TUPLE_ELEMENT, None, in_brackets=True)
# Not bare inside any parentheses: ``class C(x for x in s)`` does not parse.
_NOT_BARE_IN_PARENTHESES = (ast.GeneratorExp, ast.Yield, ast.YieldFrom, ast.Starred)


def _needs_parentheses(node: ast.expr, text: str, place: _Place) -> bool:
    """Whether ``text`` (the source of ``node``) needs parentheses where a call stood."""
    if place.after_brace and text.startswith("{"):
        return True  # ``f"{{a}}"`` is a literal brace, ``f"{({a})}"`` a set
    layout = _layout(text)
    if layout.enclosed:
        return False
    if place.in_parentheses and not isinstance(node, _NOT_BARE_IN_PARENTHESES):
        return False  # ``(tp(a or b)) and c``, ``while (tp(chunk := read())):``
    if layout.loose_line_break and not place.in_brackets:
        return True
    context = place.context
    if isinstance(node, ast.NamedExpr):
        # PEP 572 lets ``x := …`` stand bare in a list display, and in a tuple that has
        # parentheses of its own (``(a, b := f())``), on every version; Django's query.py has one.
        if context == (ast.List, "elts") or (
            context == (ast.Tuple, "elts") and place.parent_in_parentheses
        ):
            return False
        return context not in _OPEN_TO_ASSIGNMENT_EXPRESSIONS
    if isinstance(node, _ALWAYS_PARENTHESIZED):
        return True
    if isinstance(node, _ATOMS):
        # ``1.real`` does not parse; ``(1).real`` does.
        number = isinstance(node, ast.Constant) and type(node.value) in (int, float, complex)
        return number and context == (ast.Attribute, "value")
    if isinstance(node, ast.Lambda):
        return context not in _OPEN_TO_LAMBDAS
    if isinstance(node, ast.IfExp):
        return context not in _OPEN_TO_CONDITIONALS
    if place.parent is not None and _binds_as_operand(node, place.parent, context[1]):
        return False  # ``tp(a + b) <= c`` becomes ``a + b <= c``: no longer than it must be
    return context not in _OPEN_CONTEXTS


_BINARY_BINDING = {
    ast.BitOr: 5,
    ast.BitXor: 6,
    ast.BitAnd: 7,
    ast.LShift: 8,
    ast.RShift: 8,
    ast.Add: 9,
    ast.Sub: 9,
    ast.Mult: 10,
    ast.MatMult: 10,
    ast.Div: 10,
    ast.FloorDiv: 10,
    ast.Mod: 10,
    ast.Pow: 12,
}


def _binding(node: ast.AST) -> int | None:
    """How tightly an operator binds its operands (higher is tighter); None for the rest."""
    if isinstance(node, ast.IfExp):
        return 0  # ``a or b if c < d else e``: its condition and first value take any operator
    if isinstance(node, ast.BoolOp):
        return 1 if isinstance(node.op, ast.Or) else 2
    if isinstance(node, ast.UnaryOp):
        return 3 if isinstance(node.op, ast.Not) else 11
    if isinstance(node, ast.Compare):
        return 4
    if isinstance(node, ast.BinOp):
        return _BINARY_BINDING.get(type(node.op))
    return None


def _binds_as_operand(node: ast.expr, parent: ast.AST, field: str) -> bool:
    """Whether operator expression ``node`` keeps its meaning without parentheses as the
    operand ``field`` of operator expression ``parent``."""
    inner, outer = _binding(node), _binding(parent)
    if inner is None or outer is None:
        return False
    if inner != outer:
        return inner > outer
    if isinstance(parent, ast.UnaryOp):
        return True  # ``- -a``, ``not not a``
    if isinstance(parent, ast.BinOp):
        # Left to right, except ``**``, which groups from the right.
        right_to_left = isinstance(parent.op, ast.Pow)
        return field == ("right" if right_to_left else "left")
    return False  # chained comparisons and ``a or b or c`` would merge into one


class _Brackets:
    """The brackets of a file that stay once the stripped calls' own parentheses are gone."""

    def __init__(self, source: SourceText, stripped_calls: Sequence[ast.Call]) -> None:
        #: Each significant token's start offset, its text when it is a bracket that stays
        #: (else ""), and the depth of such brackets just before it.
        self._starts: list[int] = []
        self._brackets: list[str] = []
        self._depths: list[int] = []
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(source.text, newline="").readline))
        except (tokenize.TokenError, SyntaxError):
            return  # no bracket known: every value is placed as if none were around it

        def offset(position: tuple[int, int]) -> int:
            row, column = position
            return source.line_starts[row - 1] + column

        for token in tokens:
            if token.type not in _LAYOUT_TOKENS:
                self._starts.append(offset(token.start))
                is_bracket = token.type == tokenize.OP and token.string in "()[]{}"
                self._brackets.append(token.string if is_bracket else "")
        gone: set[int] = set()
        for call in stripped_calls:
            _, after_name = source.span(call.func)
            _, end = source.span(call)
            opening = bisect.bisect_left(self._starts, after_name)
            while opening < len(self._starts) and self._brackets[opening] != "(":
                opening += 1
            closing = bisect.bisect_left(self._starts, end - 1)
            # A call inside a string token (an f-string before 3.12) has no tokens of its own.
            if closing < len(self._starts) and self._starts[closing] == end - 1:
                gone.update((opening, closing))
        depth = 0
        for index, bracket in enumerate(self._brackets):
            self._depths.append(depth)
            if index in gone:
                self._brackets[index] = ""
            elif bracket in ("(", "[", "{"):
                depth += 1
            elif bracket:
                depth -= 1

    def around(self, start: int, end: int) -> tuple[bool, bool]:
        """Whether the text between two offsets stands inside brackets that stay, and whether
        alone between ``(`` and ``)``."""
        index = bisect.bisect_left(self._starts, start)
        if index == len(self._starts) or self._starts[index] != start:
            # Inside a string token: an f-string's field before Python 3.12, where the field
            # is read as if in parentheses. (Or no tokens at all: nothing is known.)
            return bool(self._starts), False
        after = bisect.bisect_left(self._starts, end)
        in_parentheses = (
            index > 0
            and self._brackets[index - 1] == "("
            and after < len(self._starts)
            and self._brackets[after] == ")"
        )
        return self._depths[index] > 0, in_parentheses

    def encloses(self, start: int, end: int) -> bool:
        """Whether the text between two offsets opens with ``(`` and ends with the ``)`` that
        closes it (``(a, b)``, not ``(a), (b)``)."""
        opening = bisect.bisect_left(self._starts, start)
        closing = bisect.bisect_left(self._starts, end - 1)
        if (
            opening >= closing
            or closing >= len(self._starts)
            or self._starts[opening] != start
            or self._starts[closing] != end - 1
            or self._brackets[opening] != "("
            or self._brackets[closing] != ")"
        ):
            return False
        inside = self._depths[opening] + 1
        return all(depth >= inside for depth in self._depths[opening + 1 : closing + 1])


def _needs_parentheses_as_statement(node: ast.expr, text: str) -> bool:
    layout = _layout(text)
    if layout.enclosed:
        return False
    return layout.loose_line_break or isinstance(node, (ast.NamedExpr, *_ALWAYS_PARENTHESIZED))


def _is_side_effect_free(node: ast.AST, is_unwrapped: Callable[[ast.AST], bool]) -> bool:
    """Whether evaluating ``node`` only reads and combines values (see the module docstring).

    A tp() call being unwrapped counts as the values it returns.
    """
    if isinstance(node, ast.Call) and is_unwrapped(node):
        parts: list[ast.AST] = list(_values_of(node))
    elif isinstance(node, ast.Dict) and None in node.keys:
        return False  # ``{**mapping}`` iterates the mapping, which may run code
    elif isinstance(node, _EFFECT_FREE):
        parts = [part for part in ast.iter_child_nodes(node) if isinstance(part, ast.expr)]
    else:
        return False
    return all(_is_side_effect_free(part, is_unwrapped) for part in parts)


def _unconditional_parts(node: ast.expr) -> list[ast.expr] | None:
    """The parts an expression that only reads and combines evaluates, each always and in
    this order; None where that is not so, or where a part cannot stand alone."""
    if isinstance(node, (ast.BoolOp, ast.IfExp, ast.JoinedStr, ast.FormattedValue)):
        return None  # parts evaluated only on a condition; f-string parts stay in their string
    if isinstance(node, ast.Compare) and len(node.comparators) > 1:
        return None  # a chain stops at its first false link
    if isinstance(node, ast.Dict):
        if None in node.keys:
            return None  # ``{**mapping}`` iterates the mapping
        return [part for pair in zip(node.keys, node.values) for part in pair if part is not None]
    if not isinstance(node, _EFFECT_FREE):
        return None
    parts = [part for part in ast.iter_child_nodes(node) if isinstance(part, ast.expr)]
    return None if any(isinstance(part, ast.Starred) for part in parts) else parts


# ---------------------------------------------------------------------------------------
# The two passes


class _CallStripper:
    """First pass: remove or unwrap the calls themselves."""

    def __init__(self, source: SourceText, tree: ast.Module, leftovers: Sequence[Leftover]):
        self.source = source
        self.edits = _Edits(source)
        self.notes: list[tuple[Leftover, str]] = []
        self.stripped = 0
        self._links = _parent_links(tree)
        # The calls whose parentheses go, and the brackets that stay (read when first needed).
        self._stripped_calls: list[ast.Call] = []
        self._brackets: _Brackets | None = None
        statements: list[tuple[ast.stmt, ast.Call]] = []
        for leftover in leftovers:
            reason = self._reason_to_leave_alone(leftover)
            if reason:
                self.notes.append((leftover, reason))
                continue
            self.stripped += 1
            self._stripped_calls.append(leftover.call)
            parent = self._links[id(leftover.call)].parent
            if isinstance(parent, ast.Expr):
                statements.append((parent, leftover.call))
            else:
                self.edits.unwrap_call(leftover.call)
        # Edits are made once every decision is known: a statement keeps what its nested
        # unwrapped calls leave.
        for leftover in leftovers:
            if self.edits.is_unwrapped(leftover.call):
                produce = functools.partial(self._value_text, leftover.call)
                self.edits.replace_node(leftover.call, produce)
        removed = []
        for statement, call in statements:
            kept = list(self._side_effects(call))
            if kept:
                produce = functools.partial(self._statement_text, statement, kept)
                self.edits.replace_node(statement, produce)
                self.edits.replace_statement(statement, [ast.Expr(value=node) for node in kept])
            else:
                removed.append(statement)
        if removed:
            _remove_statements(self.edits, self._links, removed)

    def _reason_to_leave_alone(self, leftover: Leftover) -> str | None:
        call = leftover.call
        unpacks = any(isinstance(argument, ast.Starred) for argument in call.args) or any(
            keyword.arg is None for keyword in call.keywords
        )
        if unpacks:
            return "left alone: a call with * or ** arguments has no plain value"
        if not self._is_located(call):
            return "left alone: Python gives no exact position for it (f-strings before 3.10)"
        link = self._links[id(call)]
        if isinstance(link.parent, ast.Expr):
            return None
        if leftover.kind is LeftoverKind.INSTALL:
            return "left alone: chrono.install() used as a value"
        if isinstance(link.parent, ast.FormattedValue):
            _, end = self.source.span(call)
            rest = self.source.text[end:].lstrip()
            if rest.startswith("=") and not rest.startswith("=="):
                return "left alone: f'{tp(...)=}' prints the call's own text"
        return None

    def _is_located(self, call: ast.Call) -> bool:
        """Whether the call's reported position holds exactly its text (Python 3.9 gives
        wrong positions inside multi-line f-strings)."""
        try:
            reparsed = parse(f"({self.source.segment(call)})").body[0]
        except SkippedFile:
            return False
        return isinstance(reparsed, ast.Expr) and ast.dump(reparsed.value) == ast.dump(call)

    def _side_effects(self, call: ast.Call) -> Iterator[ast.expr]:
        """The parts of a removed call's arguments that must still be evaluated, in order."""
        for argument in _values_of(call):
            yield from self._acting_parts(argument)

    def _acting_parts(self, node: ast.expr) -> Iterator[ast.expr]:
        """``node`` without what only reads and combines: ``x == f()`` keeps ``f()``, since
        ``x == f()`` alone would be a comparison doing nothing (ruff's B015, B018)."""
        if _is_side_effect_free(node, self.edits.is_unwrapped):
            return
        if isinstance(node, ast.Call) and self.edits.is_unwrapped(node):
            parts: list[ast.expr] | None = _values_of(node)
        else:
            parts = _unconditional_parts(node)
        if parts is None:
            yield node
            return
        for part in parts:
            yield from self._acting_parts(part)

    def _statement_text(self, statement: ast.stmt, kept: list[ast.expr]) -> str:
        texts = []
        for node in kept:
            text = self.edits.render_node(node)
            texts.append(f"({text})" if _needs_parentheses_as_statement(node, text) else text)
        start, _ = self.source.span(statement)
        indent = self.source.text[self.source.line_starts[statement.lineno - 1] : start]
        if indent.strip():  # after ``;`` or a block header: stay on this line
            return "; ".join(texts)
        return (self.source.line_break(statement.lineno) + indent).join(texts)

    def _value_text(self, call: ast.Call) -> str:
        arguments = _values_of(call)
        if not arguments:
            return "None"
        if len(arguments) == 1:
            (argument,) = arguments
            text = self.edits.render_node(argument)
            if self.edits.is_unwrapped(argument):
                return text  # already fitted to where this call's value lands
            wrap = _needs_parentheses(argument, text, self._destination(call))
            return f"({text})" if wrap else text
        elements = []
        for argument in arguments:
            text = self.edits.render_node(argument)
            wrap = not self.edits.is_unwrapped(argument) and _needs_parentheses(
                argument, text, _IN_TUPLE
            )
            elements.append(f"({text})" if wrap else text)
        return "(" + ", ".join(elements) + ")"

    def _destination(self, call: ast.Call) -> _Place:
        """Where an unwrapped call's value finally stands, through unwrapped outer calls."""
        node: ast.expr = call
        while True:
            link = self._links[id(node)]
            parent = link.parent
            if isinstance(parent, ast.Call) and self.edits.is_unwrapped(parent):
                if len(_values_of(parent)) > 1:
                    return _IN_TUPLE
                node = parent
                continue
            if self._brackets is None:
                self._brackets = _Brackets(self.source, self._stripped_calls)
            start, end = self.source.span(node)
            in_brackets, in_parentheses = self._brackets.around(start, end)
            unpacked = _is_unpacking(parent, link)
            parent_in_parentheses = isinstance(parent, ast.Tuple) and self._brackets.encloses(
                *self.source.span(parent)
            )
            return _Place(
                _UNPACKED if unpacked else (type(parent), link.field),
                None if unpacked else parent,
                in_brackets=in_brackets,
                in_parentheses=in_parentheses,
                after_brace=isinstance(parent, ast.FormattedValue)
                and self.source.text[start - 1 : start] == "{",
                parent_in_parentheses=parent_in_parentheses,
            )


def _is_unpacking(parent: ast.AST, link: _Link) -> bool:
    """Whether a value stands after ``**`` (``f(**x)``, ``{**x}``), where few forms fit."""
    if isinstance(parent, ast.keyword):
        return parent.arg is None
    if isinstance(parent, ast.Dict) and link.field == "values" and link.index is not None:
        return parent.keys[link.index] is None
    return False


class _ImportPruner:
    """Second pass: drop chrono imports the first pass left unused."""

    def __init__(self, source: SourceText, tree: ast.Module, names_before: set[str]) -> None:
        self.source = source
        self.edits = _Edits(source)
        names_after = _referenced_names(tree)
        mentioned = _string_constants(tree)
        links = _parent_links(tree)
        removed: list[ast.stmt] = []
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            unused = [
                alias
                for alias in node.names
                if _was_used_then_dropped(node, alias, names_before, names_after, mentioned)
            ]
            if len(unused) == len(node.names):
                removed.append(node)
            elif unused:
                self._remove_names(node, unused)
        if removed:
            _remove_statements(self.edits, links, removed)

    def _remove_names(self, node: ast.Import | ast.ImportFrom, unused: list[ast.alias]) -> None:
        spans = _import_name_spans(self.source, node)
        if spans is None or len(spans) != len(node.names):
            return  # cannot locate the names exactly: keep the import
        removed = [alias in unused for alias in node.names]
        lines = [_line_around(self.source, start, end) for start, end in spans]
        if all(line is not None for line in lines):
            # One name per line: a removed name goes with its whole line and its comment.
            for line, is_removed in zip(lines, removed):
                if line is not None and is_removed:
                    self.edits.replace(*line, _nothing)
        else:
            items = [(start, end, flag) for (start, end), flag in zip(spans, removed)]
            for start, end in _removal_spans(items):
                self.edits.replace(start, end, _nothing)
        kept = [alias for alias in node.names if alias not in unused]
        replacement: ast.stmt
        if isinstance(node, ast.ImportFrom):
            replacement = ast.ImportFrom(module=node.module, names=kept, level=node.level)
        else:
            replacement = ast.Import(names=kept)
        self.edits.replace_statement(node, [replacement])


def _line_around(source: SourceText, start: int, end: int) -> tuple[int, int] | None:
    """The whole line(s) of an import's name, when nothing but a comma or comment shares them."""
    first_line = bisect.bisect_right(source.line_starts, start)
    last_line = bisect.bisect_right(source.line_starts, end)
    line_start = source.line_starts[first_line - 1]
    before = source.text[line_start:start]
    after = source.text[end : source.line_end(last_line)].strip()
    after = after[1:].lstrip() if after.startswith(",") else after
    if before.strip() or (after and not after.startswith("#")):
        return None
    return line_start, source.line_start_after(last_line)


def _chrono_name(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> str | None:
    """The name an import binds to chrono, its tp or its install; None for anything else."""
    if isinstance(node, ast.ImportFrom):
        if node.module == "chrono" and node.level == 0 and alias.name in ("tp", "install"):
            return alias.asname or alias.name
        return None
    if alias.name == "chrono":
        return alias.asname or "chrono"
    if alias.name.startswith("chrono.") and alias.asname is None:
        return "chrono"
    return None


def _was_used_then_dropped(
    node: ast.Import | ast.ImportFrom,
    alias: ast.alias,
    names_before: set[str],
    names_after: set[str],
    mentioned: set[str],
) -> bool:
    name = _chrono_name(node, alias)
    if name is None or name not in names_before or name in names_after:
        return False
    # ``__all__ = ["tp"]`` or a string annotation ``"chrono.Story"`` still needs the name.
    return not any(text == name or text.startswith((f"{name}.", f"{name}[")) for text in mentioned)


def _referenced_names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _string_constants(tree: ast.AST) -> set[str]:
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def _import_name_spans(
    source: SourceText, node: ast.Import | ast.ImportFrom
) -> list[tuple[int, int]] | None:
    """Offsets of each ``name [as other]`` in an import, from its tokens (the tree gives
    names positions only from Python 3.10)."""
    start, end = source.span(node)
    segment = SourceText(source.text[start:end])
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(segment.text, newline="").readline))
    except (tokenize.TokenError, SyntaxError):
        return None

    def offset(position: tuple[int, int]) -> int:
        row, column = position
        return start + segment.line_starts[row - 1] + column

    spans: list[tuple[int, int]] = []
    entry: tuple[int, int] | None = None
    after_import = False
    for token in tokens:
        if not after_import:
            after_import = token.type == tokenize.NAME and token.string == "import"
        elif token.type == tokenize.NAME or (token.type == tokenize.OP and token.string == "."):
            entry_start = entry[0] if entry else offset(token.start)
            entry = (entry_start, offset(token.end))
        elif token.type == tokenize.OP and token.string in ",)" and entry:
            spans.append(entry)
            entry = None
    if entry:
        spans.append(entry)
    return spans
