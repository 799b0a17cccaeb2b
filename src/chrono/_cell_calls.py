"""Which call ran, where IPython ran a cell's statements one by one.

IPython compiles each top-level statement of a cell on its own (the last one in ``single``
mode, so that its value is displayed). executing, given the whole cell, tries each statement on
the frame's line and gives up when more than one could hold the instruction: ``tp(a); tp(b)``
on one line of a cell, ``if x: tp(a); tp(b)``, or ``ipython -c "from chrono import tp; y = 5;
tp(y + 1)"``. The names were lost there, though the same line in a file has them.

Here the statement that ran is told by compiling each top-level statement on the line alone,
in both of IPython's modes, and keeping the one whose instructions and constants are the
running code's own; executing's node finder is then asked about that statement only. Where
anything does not fit, nothing is found, and the call site is read from the bytecode, as
without source.
"""

from __future__ import annotations

import ast
from types import CodeType, FrameType
from typing import TYPE_CHECKING

from chrono._errors import from_outside

if TYPE_CHECKING:
    import executing

__all__ = ["cell_call"]


def cell_call(frame: FrameType) -> tuple[ast.Call, executing.Source] | None:
    """The call running in ``frame`` and the source it was read from, for the top-level code
    of a cell (or any source IPython ran one statement at a time); None where it is not
    one statement among several on its line, or cannot be told."""
    code = frame.f_code
    if code.co_name != "<module>":
        return None
    import executing

    # executing's own node finder, given the one statement that ran: a private name, so
    # looked up, and any failure of it taken for "not found".
    node_finder = getattr(getattr(executing, "executing", None), "NodeFinder", None)
    if node_finder is None:
        return None
    try:
        source = executing.Source.for_frame(frame)
        at_line = source.statements_at_line(frame.f_lineno)
        if len(at_line) < 2:
            return None  # executing's answer stands
        tops = list({id(top): top for top in map(_top_level, at_line)}.values())
        ran = tops if len(tops) == 1 else [top for top in tops if _compiles_to(top, code)]
        if len(ran) != 1:
            return None
        tree = ast.parse("")
        tree.body = [ran[0]]
        ast.copy_location(tree, ran[0])
        statements = {statement for statement in at_line if _top_level(statement) is ran[0]}
        node = node_finder(frame, statements, tree, frame.f_lasti, source).result
    except Exception as error:  # executing cannot place every node: no call
        if from_outside(error):
            raise
        return None
    return (node, source) if isinstance(node, ast.Call) else None


def _top_level(statement: ast.AST) -> ast.stmt:
    """The statement of the module that holds ``statement`` (executing links each node to
    its parent)."""
    while not isinstance(getattr(statement, "parent", None), ast.Module):
        statement = statement.parent  # type: ignore[attr-defined]
    assert isinstance(statement, ast.stmt)
    return statement


def _compiles_to(statement: ast.stmt, code: CodeType) -> bool:
    """Whether ``statement``, compiled alone as IPython compiles a cell's statements, is
    ``code``: the same instructions and the same constants."""
    modes = ((ast.Module([statement], []), "exec"), (ast.Interactive([statement]), "single"))
    for tree, mode in modes:
        try:
            compiled = compile(tree, code.co_filename, mode, dont_inherit=True)
        except (SyntaxError, ValueError, TypeError):
            continue
        if compiled.co_code == code.co_code and compiled.co_consts == code.co_consts:
            return True
    return False
