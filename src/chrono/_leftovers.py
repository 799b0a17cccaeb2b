"""Find leftover ``tp()`` debug calls: the engine behind ``chrono check`` and ``chrono strip``.

Calls are found from the syntax tree, never from the text, so strings and comments that
mention ``tp(`` are ignored. A small scope analysis decides which names mean chrono's ``tp``:
``from chrono import tp [as t]``, ``import chrono [as c]`` then ``c.tp(...)``, and a bare
``tp(...)`` that nothing in the file binds (the builtin made by ``chrono.install()``).
"""

from __future__ import annotations

import ast
import enum
import gc
import io
import os
import re
import subprocess
import tokenize
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

# The builtin names chrono.install() makes when no other name is given to it.
DEFAULT_BUILTINS = frozenset({"tp"})
# Exactly the line breaks Python's tokenizer counts, so line numbers agree with ``ast``
# (str.splitlines would also split on form feeds and other separators).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_PYTHON_SUFFIXES = (".py", ".pyw")
_SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "site-packages"})
_LONGEST_TEXT = 120


class UsageError(Exception):
    """The command line names something that cannot be checked."""


class SkippedFile(Exception):
    """A file that cannot be read or parsed; the reason is reported and the file skipped."""


class LeftoverKind(enum.Enum):
    """What a leftover call does."""

    TP = "tp()"
    INSTALL = "chrono.install()"


class SourceText:
    """Source text with the position arithmetic that turns ``ast`` positions into offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]

    def offset(self, lineno: int, col_offset: int) -> int:
        """Offset in ``text`` of an ``ast`` position (1-based line, UTF-8 byte column)."""
        line_start = self.line_starts[lineno - 1]
        prefix = self.text[line_start : line_start + col_offset]
        if prefix.isascii():
            return line_start + col_offset
        line = self.text[line_start : self.line_end(lineno)]
        return line_start + len(line.encode("utf-8")[:col_offset].decode("utf-8", "replace"))

    def line_end(self, lineno: int) -> int:
        """Offset just past the last character of a line, before its line break."""
        if lineno < len(self.line_starts):
            next_start = self.line_starts[lineno]
            break_length = 2 if self.text.endswith("\r\n", 0, next_start) else 1
            return next_start - break_length
        return len(self.text)

    def line_start_after(self, lineno: int) -> int:
        """Offset of the line that follows ``lineno`` (the end of the text on the last line)."""
        return self.line_starts[lineno] if lineno < len(self.line_starts) else len(self.text)

    def line_break(self, lineno: int) -> str:
        """The characters that end a line (a newline for the last line, which may have none)."""
        return self.text[self.line_end(lineno) : self.line_start_after(lineno)] or "\n"

    def span(self, node: ast.expr | ast.stmt) -> tuple[int, int]:
        """Start and end offsets of an expression or statement."""
        if node.end_lineno is None or node.end_col_offset is None:
            raise ValueError(f"{type(node).__name__} node has no end position")
        start = self.offset(node.lineno, node.col_offset)
        return start, self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node: ast.expr | ast.stmt) -> str:
        """The exact source text of an expression or statement."""
        start, end = self.span(node)
        return self.text[start:end]

    def column(self, node: ast.expr | ast.stmt) -> int:
        """1-based column of a node's start, counted in characters."""
        start, _ = self.span(node)
        return start - self.line_starts[node.lineno - 1] + 1


@dataclass
class SourceFile:
    """A parsed Python file, with the encoding it was read with (and must be written back in)."""

    path: str
    encoding: str
    source: SourceText
    tree: ast.Module


@dataclass(frozen=True)
class Leftover:
    """One leftover call found in a file."""

    call: ast.Call
    kind: LeftoverKind
    line: int
    column: int
    text: str


# ---------------------------------------------------------------------------------------
# Which files


def collect_python_files(paths: Sequence[str]) -> list[str]:
    """The Python files under ``paths``, each once, in a stable order.

    A named file is always checked. A folder inside a git work tree contributes the files
    git tracks or would track (ignored ones are skipped); elsewhere the folder is walked,
    skipping hidden folders, virtual environments and ``__pycache__``.
    """
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    seen: set[str] = set()
    files: list[str] = []
    for path in paths:
        candidates = _files_in_folder(path) if os.path.isdir(path) else [os.path.normpath(path)]
        for candidate in candidates:
            key = os.path.abspath(candidate)
            if key not in seen:
                seen.add(key)
                files.append(candidate)
    return files


def _files_in_folder(folder: str) -> list[str]:
    relative_names = _git_file_names(folder)
    if relative_names is None:
        return sorted(_walk_folder(folder))
    paths = (
        os.path.normpath(os.path.join(folder, name))
        for name in relative_names
        if name.endswith(_PYTHON_SUFFIXES)
    )
    # The index may list files deleted from the working tree, and submodules as folders.
    return sorted(path for path in paths if os.path.isfile(path))


def _git_file_names(folder: str) -> list[str] | None:
    """Paths (relative to ``folder``) git tracks or would track; None outside a work tree."""
    command = ["git", "-C", folder, "ls-files", "--cached", "--others", "--exclude-standard", "-z"]
    try:
        completed = subprocess.run(command, capture_output=True, check=False)
    except OSError:  # git is not installed: fall back to walking
        return None
    if completed.returncode != 0:
        return None
    names = os.fsdecode(completed.stdout).split("\0")
    return sorted({name for name in names if name})


def _walk_folder(folder: str) -> Iterator[str]:
    for root, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not _is_skipped_folder(root, name)]
        for name in names:
            if name.endswith(_PYTHON_SUFFIXES):
                yield os.path.normpath(os.path.join(root, name))


def _is_skipped_folder(parent: str, name: str) -> bool:
    if name.startswith(".") or name in _SKIPPED_FOLDERS:
        return True
    return os.path.exists(os.path.join(parent, name, "pyvenv.cfg"))


# ---------------------------------------------------------------------------------------
# Reading and parsing


def prefilter(builtin_names: Iterable[str]) -> re.Pattern[bytes]:
    """What the bytes of a file that can hold a call must contain.

    Every way of reaching tp goes through an import naming ``chrono`` or through a builtin
    name (``tp``, or what ``chrono.install(name)`` chose), so most files of a tree stop at
    this search, unparsed. ``\\b`` keeps "http" from passing for "tp".
    """
    words = [re.escape(name).encode() for name in sorted(builtin_names) if name.isascii()]
    others = [re.escape(name).encode() for name in sorted(builtin_names) if not name.isascii()]
    alternatives = [rb"\b(?:" + b"|".join(words) + rb")\b"] if words else []
    return re.compile(b"|".join([*alternatives, *others, b"chrono"]))


_DEFAULT_PREFILTER = prefilter(DEFAULT_BUILTINS)


def load_source(
    path: str, may_hold_calls: re.Pattern[bytes] = _DEFAULT_PREFILTER
) -> SourceFile | None:
    """Read and parse a file; None when its bytes show it cannot hold a call.

    Raises SkippedFile when the file cannot be read, decoded or parsed.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise SkippedFile(f"cannot read: {error.strerror or error}") from error
    if not may_hold_calls.search(data):
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        raise SkippedFile(f"cannot parse: {error}") from error
    return SourceFile(path=path, encoding=encoding, source=SourceText(text), tree=parse(text))


def parse(text: str) -> ast.Module:
    """Parse source text; raises SkippedFile with a readable reason when it is not Python."""
    # A syntax tree holds no reference cycles, yet building one sets off the cycle collector
    # over and over: pausing it makes parsing several times faster.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like warn at parse time: not our report.
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except SyntaxError as error:
        raise SkippedFile(f"cannot parse: {error.msg} (line {error.lineno})") from error
    except (ValueError, RecursionError, MemoryError) as error:
        raise SkippedFile(f"cannot parse: {error}") from error
    finally:
        if collecting:
            gc.enable()


# ---------------------------------------------------------------------------------------
# Which calls are chrono's


class _Binding(enum.Enum):
    TP = "tp"
    INSTALL = "install"
    MODULE = "module"
    OTHER = "other"


class _Scope:
    """The names one module, class, function or comprehension binds, and how."""

    def __init__(self, parent: _Scope | None, *, is_class: bool = False) -> None:
        self.parent = parent
        self.is_class = is_class
        self.is_comprehension = False
        self.bindings: dict[str, set[_Binding]] = {}
        self.global_names: set[str] = set()
        self.nonlocal_names: set[str] = set()
        # ``from elsewhere import *`` may bind a tp of its own, so a bare tp is not ours.
        self.has_foreign_star_import = False

    def module(self) -> _Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> set[_Binding] | None:
        """How ``name`` is bound where it is read here; None when only builtins can have it."""
        scope: _Scope | None = self
        starting = True
        while scope is not None:
            if name in scope.global_names:
                return scope.module().bindings.get(name)
            # A class body's names are invisible to the functions nested inside it.
            visible = starting or not scope.is_class
            if visible and name not in scope.nonlocal_names and name in scope.bindings:
                return scope.bindings[name]
            starting = False
            scope = scope.parent
        return None


class _ScopeBuilder(ast.NodeVisitor):
    """Records every scope's bindings, and the scope each candidate call is made in."""

    def __init__(self, module_scope: _Scope) -> None:
        self.scope = module_scope
        self.calls: list[tuple[ast.Call, _Scope]] = []

    def _bind(self, name: str, binding: _Binding = _Binding.OTHER) -> None:
        scope = self.scope
        if name in scope.global_names:
            scope = scope.module()
        scope.bindings.setdefault(name, set()).add(binding)

    def _visit_all(self, nodes: Iterable[ast.AST | None]) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node)

    def _visit_inside(self, scope: _Scope, nodes: Iterable[ast.AST | None]) -> None:
        outer = self.scope
        self.scope = scope
        try:
            self._visit_all(nodes)
        finally:
            self.scope = outer

    def _function_scope(self, arguments: ast.arguments, type_params: list[ast.AST]) -> _Scope:
        # Defaults and annotations are evaluated where the function is defined.
        self._visit_all(arguments.defaults)
        self._visit_all(arguments.kw_defaults)
        parameters = [
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            *(argument for argument in (arguments.vararg, arguments.kwarg) if argument),
        ]
        self._visit_all(parameter.annotation for parameter in parameters)
        inner = _Scope(self.scope)
        for parameter in parameters:
            inner.bindings[parameter.arg] = {_Binding.OTHER}
        for type_param in type_params:
            inner.bindings[getattr(type_param, "name", "")] = {_Binding.OTHER}
        return inner

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._visit_all(node.decorator_list)
        inner = self._function_scope(node.args, getattr(node, "type_params", []))
        self._visit_all([node.returns])
        self._bind(node.name)
        self._visit_inside(inner, node.body)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        inner = self._function_scope(node.args, [])
        self._visit_inside(inner, [node.body])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._visit_all(node.decorator_list)
        self._visit_all(node.bases)
        self._visit_all(node.keywords)
        self._bind(node.name)
        inner = _Scope(self.scope, is_class=True)
        for type_param in getattr(node, "type_params", []):
            inner.bindings[type_param.name] = {_Binding.OTHER}
        self._visit_inside(inner, node.body)

    def _visit_comprehension(
        self, generators: list[ast.comprehension], results: Iterable[ast.AST]
    ) -> None:
        # The first iterable is evaluated outside; everything else in the comprehension's scope.
        self.visit(generators[0].iter)
        inner = _Scope(self.scope)
        inner.is_comprehension = True
        outer = self.scope
        self.scope = inner
        try:
            for index, generator in enumerate(generators):
                if index:
                    self.visit(generator.iter)
                self.visit(generator.target)
                self._visit_all(generator.ifs)
            self._visit_all(results)
        finally:
            self.scope = outer

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._visit_comprehension(node.generators, [node.elt])

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._visit_comprehension(node.generators, [node.elt])

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._visit_comprehension(node.generators, [node.elt])

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._visit_comprehension(node.generators, [node.key, node.value])

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        # An assignment expression binds in the nearest scope that is not a comprehension.
        scope = self.scope
        while scope.is_comprehension and scope.parent is not None:
            scope = scope.parent
        scope.bindings.setdefault(node.target.id, set()).add(_Binding.OTHER)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._bind(node.id)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top_level = alias.name.partition(".")[0]
            if alias.asname is None:
                chrono = top_level == "chrono"
                self._bind(top_level, _Binding.MODULE if chrono else _Binding.OTHER)
            else:
                chrono = alias.name == "chrono"
                self._bind(alias.asname, _Binding.MODULE if chrono else _Binding.OTHER)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        from_chrono = node.module == "chrono" and node.level == 0
        for alias in node.names:
            if alias.name == "*":
                if from_chrono:
                    self._bind("tp", _Binding.TP)
                    self._bind("install", _Binding.INSTALL)
                else:
                    self.scope.module().has_foreign_star_import = True
                continue
            binding = _Binding.OTHER
            if from_chrono and alias.name == "tp":
                binding = _Binding.TP
            elif from_chrono and alias.name == "install":
                binding = _Binding.INSTALL
            self._bind(alias.asname or alias.name, binding)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.global_names.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.nonlocal_names.update(node.names)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    # Pattern captures (Python 3.10+); unknown node names are never dispatched on 3.9.
    def visit_MatchAs(self, node: ast.AST) -> None:
        self._bind_optional(getattr(node, "name", None))
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.AST) -> None:
        self._bind_optional(getattr(node, "name", None))
        self.generic_visit(node)

    def visit_MatchMapping(self, node: ast.AST) -> None:
        self._bind_optional(getattr(node, "rest", None))
        self.generic_visit(node)

    def _bind_optional(self, name: str | None) -> None:
        if name:
            self._bind(name)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Name) or (
            isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
        ):
            self.calls.append((node, self.scope))
        self.generic_visit(node)


def _classify(call: ast.Call, scope: _Scope, builtin_names: frozenset[str]) -> LeftoverKind | None:
    function = call.func
    if isinstance(function, ast.Name):
        bindings = scope.lookup(function.id)
        if bindings is None:
            builtin = function.id in builtin_names and not scope.module().has_foreign_star_import
            return LeftoverKind.TP if builtin else None
        if _Binding.TP in bindings:
            return LeftoverKind.TP
        if _Binding.INSTALL in bindings:
            return LeftoverKind.INSTALL
        return None
    if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
        bindings = scope.lookup(function.value.id)
        if bindings is not None and _Binding.MODULE in bindings:
            if function.attr == "tp":
                return LeftoverKind.TP
            if function.attr == "install":
                return LeftoverKind.INSTALL
    return None


def find_leftovers(
    source_file: SourceFile, builtin_names: frozenset[str] = DEFAULT_BUILTINS
) -> list[Leftover]:
    """Every tp() and chrono.install() call in a parsed file, in source order.

    A call of one of ``builtin_names`` that nothing in the file binds is the builtin that
    ``chrono.install()`` made.
    """
    builder = _ScopeBuilder(_Scope(None))
    builder.visit(source_file.tree)
    source = source_file.source
    leftovers = []
    for call, scope in builder.calls:
        kind = _classify(call, scope, builtin_names)
        if kind is not None:
            text = _one_line(source.segment(call))
            leftovers.append(Leftover(call, kind, call.lineno, source.column(call), text))
    leftovers.sort(key=lambda leftover: (leftover.line, leftover.column))
    return leftovers


def _one_line(text: str) -> str:
    """A call's source folded to one line without its comments, shortened when very long."""
    if "\n" in text or "\r" in text:
        pieces: list[str] = []
        for line in _LINE_BREAK.split(_without_comments(text)):
            piece = line.strip()
            if not piece:
                continue
            glued = pieces and (pieces[-1][-1] in "([{" or piece[0] in ")]}")
            pieces.append(piece if not pieces or glued else " " + piece)
        text = "".join(pieces)
    if len(text) > _LONGEST_TEXT:
        text = text[: _LONGEST_TEXT - 3] + "..."
    return text


def _without_comments(text: str) -> str:
    if "#" not in text:
        return text
    source = SourceText(text)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text, newline="").readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    kept = text
    for token in reversed(tokens):
        if token.type == tokenize.COMMENT:
            start = source.line_starts[token.start[0] - 1] + token.start[1]
            end = source.line_starts[token.end[0] - 1] + token.end[1]
            kept = kept[:start] + kept[end:]
    return kept


def installed_name(call: ast.Call) -> str | None:
    """The builtin name a ``chrono.install(...)`` call makes; None when not a literal."""
    if not call.args and not call.keywords:
        return "tp"
    given = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "name":
            given = keyword.value
    if isinstance(given, ast.Constant) and isinstance(given.value, str):
        return given.value if given.value.isidentifier() else None
    return None


def installed_builtins(files: Iterable[str]) -> frozenset[str]:
    """``tp`` and every name that ``chrono.install("name")`` makes in these files.

    The install may be in one file (a conftest, a settings module) and the calls in others,
    so this first pass looks at the few files that mention both chrono and install.
    """
    names = set(DEFAULT_BUILTINS)
    may_install = re.compile(rb"install")
    for path in files:
        try:
            with open(path, "rb") as handle:
                if not may_install.search(handle.read()):
                    continue
            source_file = load_source(path)
        except (OSError, SkippedFile):
            continue  # reported by the main pass
        if source_file is None:
            continue
        for leftover in find_leftovers(source_file):
            name = installed_name(leftover.call) if leftover.kind is LeftoverKind.INSTALL else None
            if name:
                names.add(name)
    return frozenset(names)
