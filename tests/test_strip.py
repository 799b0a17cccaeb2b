"""``chrono strip``: removing leftover tp() calls while keeping what the program does."""

from __future__ import annotations

import ast
import importlib.util
import random
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from chrono import _strip
from chrono._leftovers import SkippedFile, SourceFile, SourceText, find_leftovers, parse
from chrono._strip import StripRefused, StripResult, strip_source, unified_diff
from helpers import run_command


def strip_result(source: str) -> StripResult:
    text = textwrap.dedent(source)
    parsed = SourceFile("example.py", "utf-8", SourceText(text), parse(text))
    return strip_source(parsed, find_leftovers(parsed))


def stripped(source: str) -> str:
    return strip_result(source).text


def dedent_pairs(*pairs: tuple[str, str, str]) -> list[object]:
    return [
        pytest.param(textwrap.dedent(before), textwrap.dedent(after), id=name)
        for name, before, after in pairs
    ]


class TestValueRewrites:
    """A tp() call used as a value becomes the value it returns."""

    @pytest.mark.parametrize(
        ("before", "after"),
        dedent_pairs(
            ("one argument", "y = tp(x)\n", "y = x\n"),
            ("two arguments", "y = tp(a, b + 1)\n", "y = (a, b + 1)\n"),
            ("no argument", "y = tp()\n", "y = None\n"),
            ("label and value", 'y = tp("saved", obj.pk)\n', 'y = ("saved", obj.pk)\n'),
            ("nested", "y = tp(tp(x))\n", "y = x\n"),
            ("condition", "if tp(x):\n    go()\n", "if x:\n    go()\n"),
            ("while", "while tp(queue):\n    queue.pop()\n", "while queue:\n    queue.pop()\n"),
            ("return", "def f(x):\n    return tp(x)\n", "def f(x):\n    return x\n"),
            ("argument", "print(tp(a or b), tp(c))\n", "print(a or b, c)\n"),
            ("lambda body", "key = lambda item: tp(item.name)\n", "key = lambda item: item.name\n"),
            ("decorator", "@tp(cache)\ndef f():\n    pass\n", "@cache\ndef f():\n    pass\n"),
            ("f-string field", 'msg = f"tp(x) is {tp(x)!r}"\n', 'msg = f"tp(x) is {x!r}"\n'),
            ("await", "async def f():\n    await tp(job())\n", "async def f():\n    await job()\n"),
            ("comprehension", "s = [tp(i) for i in tp(items)]\n", "s = [i for i in items]\n"),
            ("subscript", "v = table[tp(key)]\n", "v = table[key]\n"),
            ("tuple element", "pair = tp(a or b), c\n", "pair = a or b, c\n"),
            ("augmented", "total += tp(price * count)\n", "total += price * count\n"),
            ("comment kept", "y = tp(x)  # why tp(x)\n", "y = x  # why tp(x)\n"),
            ("keyword", "y = tp(total=sum(xs))\n", "y = sum(xs)\n"),
            ("positional and keyword", "y = tp(a, n=len(a))\n", "y = (a, len(a))\n"),
            ("keywords in call order", "y = tp(b=2, a=1)\n", "y = (2, 1)\n"),
            ("label and keyword", 'y = tp("saved", pk=obj.pk)\n', 'y = ("saved", obj.pk)\n'),
            ("keyword in an argument", "print(tp(n=a or b))\n", "print(a or b)\n"),
            ("nested keyword", "y = tp(total=tp(n=x))\n", "y = x\n"),
        ),
    )
    def test_value_rewrites(self, before: str, after: str) -> None:
        """Each call used as a value is replaced by exactly what it returned."""
        assert stripped(before) == after

    @pytest.mark.parametrize(
        ("before", "after"),
        dedent_pairs(
            ("boolean operand", "ok = tp(a or b) and c\n", "ok = (a or b) and c\n"),
            ("chained comparison", "ok = tp(a < b) < c\n", "ok = (a < b) < c\n"),
            ("number attribute", "r = tp(1).real\n", "r = (1).real\n"),
            ("unary operand", "n = -tp(a + b)\n", "n = -(a + b)\n"),
            ("nested operand", "n = tp(tp(a + b)) * 2\n", "n = (a + b) * 2\n"),
            ("attribute of conditional", "n = tp(a if c else b).x\n", "n = (a if c else b).x\n"),
            ("double star", "f(**tp(a or b))\n", "f(**(a or b))\n"),
            ("dict unpacking", "d = {**tp(a or b)}\n", "d = {**(a or b)}\n"),
            ("assignment expression", "z = tp(y := 1)\n", "z = (y := 1)\n"),
            ("generator", "g = tp(x for x in s)\n", "g = (x for x in s)\n"),
            ("lambda in condition", "if tp(lambda: 0):\n    pass\n", "if (lambda: 0):\n    pass\n"),
            ("keyword operand", "ok = tp(n=a or b) and c\n", "ok = (a or b) and c\n"),
            ("tighter operand", "ok = tp(a + b) <= c * tp(d ** 2)\n", "ok = a + b <= c * d ** 2\n"),
            ("left to right", "n = tp(a - b) - tp(c - d)\n", "n = a - b - (c - d)\n"),
            ("power groups from the right", "n = tp(a**b) ** tp(c**d)\n", "n = (a**b) ** c**d\n"),
            ("and inside or", "ok = tp(a and b) or tp(c or d)\n", "ok = a and b or (c or d)\n"),
            ("comparison under not", "ok = not tp(a < b)\n", "ok = not a < b\n"),
            ("not under a comparison", "ok = tp(not a) == b\n", "ok = (not a) == b\n"),
            ("comprehension element", "s = [tp(i < n) for i in r]\n", "s = [i < n for i in r]\n"),
            (
                "generator element",
                "ok = all(tp(x is None) for x in r)\n",
                "ok = all(x is None for x in r)\n",
            ),
            (
                "annotation",
                "def f(x: tp(int | None)) -> tp(A | B): ...\n",
                "def f(x: int | None) -> A | B: ...\n",
            ),
            (
                "conditional in a comprehension",
                "s = [tp(a if c else b) for c in r]\n",
                "s = [a if c else b for c in r]\n",
            ),
            (
                "conditional in an annotation",
                "x: tp(A if c else B) = 1\n",
                "x: (A if c else B) = 1\n",
            ),
            (
                "operators in a conditional",
                "v = tp(a or b) if tp(x == y) else tp(c if d else e)\n",
                "v = a or b if x == y else c if d else e\n",
            ),
            (
                "conditional in a conditional",
                "v = tp(a if b else c) if tp(lambda: 0) else tp(lambda: 1)\n",
                "v = (a if b else c) if (lambda: 0) else lambda: 1\n",
            ),
            ("sign under a power", "n = tp(-a) ** 2 + -tp(b**2)\n", "n = (-a) ** 2 + -b**2\n"),
            ("keyword as a tuple element", "t = tp(a, n=b or c), d\n", "t = (a, b or c), d\n"),
            ("multi-line", "y = tp(\n    a +\n    b\n)\n", "y = (a +\n    b)\n"),
            ("call result called", "r = tp(make)()\n", "r = make()\n"),
            ("already parenthesized", "n = tp((a, b))[0]\n", "n = (a, b)[0]\n"),
        ),
    )
    def test_parentheses_keep_precedence(self, before: str, after: str) -> None:
        """Parentheses are added exactly where the bare argument would parse differently."""
        assert stripped(before) == after

    @pytest.mark.parametrize(
        ("before", "after"),
        dedent_pairs(
            (
                "line break in brackets",
                "if (\n    tp(a\n    and b)\n):\n    pass\n",
                "if (\n    a\n    and b\n):\n    pass\n",
            ),
            (
                "comment in brackets",
                "f(\n    tp(a  # why\n    or b),\n)\n",
                "f(\n    a  # why\n    or b,\n)\n",
            ),
            ("nested, multi-line", "y = [tp(tp(\n    a\n    + b))]\n", "y = [a\n    + b]\n"),
            ("f-string field and its spec", 's = f"{tp(x + 1):{tp(x)}}"\n', 's = f"{x + 1:{x}}"\n'),
            (
                "conditional in an f-string",
                's = f"{tp(a if b else c)!r}"\n',
                's = f"{a if b else c!r}"\n',
            ),
            (
                "comprehension",
                "s = [x for x in tp(a or b) if tp(not x)]\n",
                "s = [x for x in a or b if not x]\n",
            ),
            ("inside its own parentheses", "ok = (tp(a or b)) and c\n", "ok = (a or b) and c\n"),
            (
                "conditional as a condition",
                "if tp(a if b else c):\n    pass\n",
                "if a if b else c:\n    pass\n",
            ),
            (
                "assignment condition",
                "while tp(chunk := read()):\n    pass\n",
                "while chunk := read():\n    pass\n",
            ),
            ("assignment argument", "f(tp(n := len(a)), n)\n", "f(n := len(a), n)\n"),
            ("assignment in a list", "v = [tp(n := 1), n]\n", "v = [n := 1, n]\n"),
            ("assignment in a tuple", "v = (a, tp(n := 1))\n", "v = (a, n := 1)\n"),
            ("assignment in a bare tuple", "v = (a), tp(n := 1)\n", "v = (a), (n := 1)\n"),
            ("slice bounds", "v = s[tp(a + 1) : tp(b or c)]\n", "v = s[a + 1 : b or c]\n"),
            (
                "defaults",
                "def f(a=tp(-1), *, b=tp(x or y)): pass\n",
                "def f(a=-1, *, b=x or y): pass\n",
            ),
            ("dict keys", "d = {tp(a + b): 1, **e}\n", "d = {a + b: 1, **e}\n"),
            ("comprehension key", "d = {tp(k + 1): v for k in i}\n", "d = {k + 1: v for k in i}\n"),
        ),
    )
    def test_no_parentheses_that_were_not_there(self, before: str, after: str) -> None:
        """Where the bare argument parses alike, stripping gives back exactly the text that
        was wrapped: brackets around a line break, f-string fields, comprehension conditions,
        ``:=`` in a condition."""
        assert stripped(before) == after

    @pytest.mark.parametrize(
        ("before", "after"),
        dedent_pairs(
            ("lambda in an f-string", 's = f"{tp(lambda: 1)}"\n', 's = f"{(lambda: 1)}"\n'),
            ("set in an f-string", 's = f"{tp({a})}"\n', 's = f"{({a})}"\n'),
            (
                "conditional in a comprehension condition",
                "s = [x for x in r if tp(a if b else c)]\n",
                "s = [x for x in r if (a if b else c)]\n",
            ),
            ("assignment as a keyword", "f(k=tp(n := 1))\n", "f(k=(n := 1))\n"),
            (
                "generator as a base",
                "class C(tp(x for x in s)): pass\n",
                "class C((x for x in s)): pass\n",
            ),
        ),
    )
    def test_parentheses_where_the_bare_form_differs(self, before: str, after: str) -> None:
        """In those same places, what would not parse alone (or parse as something else) still
        gets its parentheses."""
        assert stripped(before) == after

    @pytest.mark.skipif(sys.version_info < (3, 10), reason="match from Python 3.10")
    def test_match_guard(self) -> None:
        """A guard takes any condition bare, as ``if`` does."""
        source = "match p:\n    case [x] if tp(x > 1 and ok):\n        pass\n"
        assert stripped(source) == source.replace("tp(x > 1 and ok)", "x > 1 and ok")


class TestStatementRewrites:
    """A tp() statement goes, keeping only the arguments that do something."""

    @pytest.mark.parametrize(
        ("before", "after"),
        dedent_pairs(
            ("plain value", "x = 1\ntp(x)\nprint(x)\n", "x = 1\nprint(x)\n"),
            ("label", 'x = 1\ntp("HERE")\nprint(x)\n', "x = 1\nprint(x)\n"),
            ("no argument", "x = 1\ntp()\n", "x = 1\n"),
            ("constants and signed numbers", "x = 1\ntp(x, -1, 2.5, None)\n", "x = 1\n"),
            ("call kept", "tp(f())\n", "f()\n"),
            ("label then call", "tp(x, f())\n", "f()\n"),
            ("keyword call kept", "tp(total=sum(xs))\n", "sum(xs)\n"),
            ("keyword value dropped", "x = 1\ntp(x, n=x)\n", "x = 1\n"),
            ("positional and keyword calls", "tp(f(), n=g())\n", "f()\ng()\n"),
            ("two effects", "def g():\n    tp(f(), h())\n", "def g():\n    f()\n    h()\n"),
            ("nested effects", "tp(tp(f()), tp(x, h()))\n", "f()\nh()\n"),
            ("assignment expression", "tp(y := f())\n", "(y := f())\n"),
            ("multi-line effect", "tp(a or\n   f())\n", "(a or\n   f())\n"),
            ("nested pure", "x = 1\ntp(tp(x))\n", "x = 1\n"),
            ("semicolon middle", "a = 1; tp(a); b = 2\n", "a = 1; b = 2\n"),
            ("semicolon last", "a = 1; tp(a)\n", "a = 1\n"),
            ("semicolon first", "tp(a); b = 2\n", "b = 2\n"),
            ("semicolons run", "a = 1; tp(a); tp(b)\n", "a = 1\n"),
            ("semicolon effects", "a = 1; tp(f(), g())\n", "a = 1; f(); g()\n"),
            ("trailing semicolon", "a = 1\ntp(a);\n", "a = 1\n"),
            (
                "comments around",
                "# before\nx = 1\ntp(x)  # drop with the call\n# after\n",
                "# before\nx = 1\n# after\n",
            ),
            ("multi-line call", "x = 1\ntp(\n    x,\n    'label',\n)\ny = 2\n", "x = 1\ny = 2\n"),
            ("only statement", "tp(1)\n", ""),
        ),
    )
    def test_statement_rewrites(self, before: str, after: str) -> None:
        """Each statement call is removed, or replaced by the arguments with side effects."""
        assert stripped(before) == after

    @pytest.mark.parametrize(
        "arguments",
        [
            "order.order_id",
            "inv.stock",
            "i * 2",
            "-x, not ready, ~mask",
            "a and b or c",
            "a < b <= c",
            "items[0], table[key].name, grid[1:n]",
            "x if c else y",
            "(a, [b], {c: d}, {e})",
            "f'{name!r:>{width}}'",
            "'saved', obj.pk",
            "total=price * count",
            "tp(a + 1) - tp(n=b)",
        ],
    )
    def test_arguments_without_effects_go(self, arguments: str) -> None:
        """A statement whose arguments are names, attributes, literals and operators on them
        goes whole: nothing is left for ruff to call a useless expression (B018)."""
        before = f"def f():\n    go()\n    tp({arguments})\n    return 1\n"
        assert stripped(before) == "def f():\n    go()\n    return 1\n"

    @pytest.mark.parametrize(
        ("arguments", "kept"),
        [
            ("f()", "f()"),
            ("obj.load().size.real", "obj.load()"),
            ("tp(f()).size", "f()"),
            ("(a or f()).size", "a or f()"),
            ("x == f()", "f()"),
            ("-f() + g()[h()]", "f()\n    g()\n    h()"),
            ("[f(), x], {g(): y, 1: h()}", "f()\n    g()\n    h()"),
            ("x < f() < g()", "x < f() < g()"),
            ("f() if c else x", "f() if c else x"),
            ("f'{g()}'", "f'{g()}'"),
            ("[*f()]", "[*f()]"),
            ("{**f()}", "{**f()}"),
            ("items[index()]", "index()"),
            ("a * f()", "f()"),
            ("y := x", "(y := x)"),
            ("[i for i in xs]", "[i for i in xs]"),
            ("lambda: 0", "lambda: 0"),
            ("await job", "await job"),
            ("(yield)", "(yield)"),
            ("order.id, n=len(order)", "len(order)"),
        ],
    )
    def test_arguments_with_effects_stay(self, arguments: str, kept: str) -> None:
        """An argument that may do something (a call, await, yield, walrus, a loop) stays,
        alone."""
        before = f"async def f():\n    tp({arguments})\n    return 1\n"
        if "yield" in arguments:
            before = before.replace("async ", "")
        after = before.replace(f"tp({arguments})", kept)
        assert stripped(before) == after

    @pytest.mark.parametrize(
        ("before", "after"),
        dedent_pairs(
            ("function", "def f():\n    tp()\n", "def f():\n    pass\n"),
            ("one-line if", "if c: tp(x)\n", "if c: pass\n"),
            ("one-line run", "if c: tp(x); tp(y)\n", "if c: pass\n"),
            (
                "if and else",
                "if c:\n    tp(x)\nelse:\n    tp(y)\n    # kept comment\n    tp(z)\n",
                "if c:\n    pass\nelse:\n    pass\n    # kept comment\n",
            ),
            (
                "try and except",
                "try:\n    tp(1)\nexcept E:\n    tp(2)\nfinally:\n    tp(3)\n",
                "try:\n    pass\nexcept E:\n    pass\nfinally:\n    pass\n",
            ),
            ("class body", "class A:\n    tp(1)\n", "class A:\n    pass\n"),
            ("loop", "for i in r:\n    tp(i)\n", "for i in r:\n    pass\n"),
            ("with", "with lock:\n    tp('in')\n", "with lock:\n    pass\n"),
            (
                "docstring stays",
                'def f():\n    """Doc."""\n    tp(1)\n',
                'def f():\n    """Doc."""\n',
            ),
        ),
    )
    def test_emptied_blocks_get_pass(self, before: str, after: str) -> None:
        """A block left with no statements gets ``pass`` in place of its first one."""
        assert stripped(before) == after

    def test_tabs_are_kept(self) -> None:
        """Tab indentation is kept exactly, including for statements split in two."""
        before = "def f():\n\tif c:\n\t\ttp(g(), h())\n\ttp(x)\n\treturn 1\n"
        assert stripped(before) == "def f():\n\tif c:\n\t\tg()\n\t\th()\n\treturn 1\n"

    def test_crlf_is_kept(self) -> None:
        """CRLF line endings are kept, also between statements a call is split into."""
        before = "def f():\r\n    tp(g(), h())\r\n    tp(x)\r\n    return tp(x)\r\n"
        after = "def f():\r\n    g()\r\n    h()\r\n    return x\r\n"
        assert stripped(before) == after

    @pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")
    def test_match_case_block(self) -> None:
        """A case block emptied by the removal gets ``pass``."""
        before = "match v:\n    case 1:\n        tp(v)\n    case _:\n        go()\n"
        after = "match v:\n    case 1:\n        pass\n    case _:\n        go()\n"
        assert stripped(before) == after


class TestImportRewrites:
    """chrono imports that only the removed calls used go too."""

    @pytest.mark.parametrize(
        ("before", "after"),
        dedent_pairs(
            ("sole import", "from chrono import tp\ny = tp(1)\n", "y = 1\n"),
            ("alias", "from chrono import tp as t\ny = t(1)\n", "y = 1\n"),
            (
                "one of several names",
                "from chrono import story, tp\nwith story():\n    tp(1)\n",
                "from chrono import story\nwith story():\n    pass\n",
            ),
            (
                "first of several names",
                "from chrono import tp, story\nstory(tp(1))\n",
                "from chrono import story\nstory(1)\n",
            ),
            (
                "parenthesized names",
                "from chrono import (\n    story,  # why\n    tp,\n)\nstory(tp(1))\n",
                "from chrono import (\n    story,  # why\n)\nstory(1)\n",
            ),
            (
                "module used for install",
                "import chrono\nchrono.install()\nrun()\n",
                "run()\n",
            ),
            (
                "install with a name",
                "from chrono import install\ninstall(name='trace')\nrun()\n",
                "run()\n",
            ),
            (
                "module still used",
                "import chrono\nchrono.tp(1)\nchrono.enable()\n",
                "import chrono\nchrono.enable()\n",
            ),
            (
                "module among others",
                "import os, chrono as c\nc.tp(os)\n",
                "import os\n",
            ),
            (
                "import in a try block",
                "try:\n    from chrono import tp\nexcept ImportError:\n    raise\ntp(f())\n",
                "try:\n    pass\nexcept ImportError:\n    raise\nf()\n",
            ),
            (
                "re-exported name stays",
                '__all__ = ["tp"]\nfrom chrono import tp\ntp(1)\n',
                '__all__ = ["tp"]\nfrom chrono import tp\n',
            ),
            (
                "unrelated unused name stays",
                "from chrono import install, tp\ntp(f())\n",
                "from chrono import install\nf()\n",
            ),
        ),
    )
    def test_import_rewrites(self, before: str, after: str) -> None:
        """Exactly the chrono names that were used and no longer are leave the imports."""
        assert stripped(before) == after


class TestBlankLines:
    """Lines removed whole leave no run of blank lines that was not there before."""

    @pytest.mark.parametrize(
        ("before", "after"),
        dedent_pairs(
            (
                "import between sections",
                "import os\n\nfrom chrono import tp\n\nfrom . import app\n\napp.run(tp(os))\n",
                "import os\n\nfrom . import app\n\napp.run(os)\n",
            ),
            (
                "import before definitions",
                "import os\n\nfrom chrono import tp\n\n\ndef f():\n    return tp(os)\n",
                "import os\n\n\ndef f():\n    return os\n",
            ),
            (
                "import first in the file",
                "from chrono import tp\n\nimport os\n\nx = tp(os)\n",
                "import os\n\nx = os\n",
            ),
            (
                "import after the docstring",
                '"""Doc."""\n\nimport chrono\n\nchrono.install()\n\nx = 1\n',
                '"""Doc."""\n\nx = 1\n',
            ),
            (
                "statement between blank lines",
                "def f(x):\n    y = x\n\n    tp(y)\n\n    return y\n",
                "def f(x):\n    y = x\n\n    return y\n",
            ),
            (
                "last statement before definitions",
                "def f(x):\n    y = x\n\n    tp(y)\n\n\ndef g():\n    pass\n",
                "def f(x):\n    y = x\n\n\ndef g():\n    pass\n",
            ),
            (
                "first statement of a block",
                "def f(x):\n    tp(x)\n\n    return x\n",
                "def f(x):\n    return x\n",
            ),
            (
                "blank lines before a first statement stay",
                "class A:\n\n    tp('HERE')\n\n    x = 1\n",
                "class A:\n\n    x = 1\n",
            ),
            (
                "several statements apart",
                "x = 1\n\ntp(x)\n\ntp('HERE')\n\n\ny = 2\n",
                "x = 1\n\n\ny = 2\n",
            ),
            ("end of the file", "x = 1\n\ntp(x)\n", "x = 1\n"),
            (
                "comments are kept as they are",
                "x = 1\n\n# why\ntp(x)\n\ny = 2\n",
                "x = 1\n\n# why\n\ny = 2\n",
            ),
            ("crlf", "x = 1\r\n\r\ntp(x)\r\n\r\ny = 2\r\n", "x = 1\r\n\r\ny = 2\r\n"),
        ),
    )
    def test_blank_lines(self, before: str, after: str) -> None:
        """The blank lines around removed lines merge into the larger of the runs they were,
        none at the end of the file, and the original ones at the start of a block."""
        assert stripped(before) == after


class TestCallsLeftAlone:
    """Calls that cannot be stripped safely stay, each with a note saying why."""

    def test_star_arguments(self) -> None:
        """A call with * or ** arguments stays, and so does the import it needs."""
        source = "from chrono import tp\ntp(*args)\ny = tp(x, **extra)\n"
        result = strip_result(source)
        assert (result.text, result.stripped) == (source, 0)
        assert [note for _, note in result.notes] == [
            "left alone: a call with * or ** arguments has no plain value",
        ] * 2

    def test_inner_call_of_a_call_left_alone(self) -> None:
        """A strippable call inside one left alone is still unwrapped."""
        assert stripped("tp(*tp(items))\n") == "tp(*items)\n"

    def test_self_documenting_f_string(self) -> None:
        """``f"{tp(x)=}"`` prints the call's own text, so it stays."""
        result = strip_result('print(f"{tp(x)=}")\n')
        assert result.text == 'print(f"{tp(x)=}")\n'
        assert result.notes[0][1] == "left alone: f'{tp(...)=}' prints the call's own text"

    def test_install_used_as_a_value(self) -> None:
        """``chrono.install()`` whose result is used is not guessed at."""
        result = strip_result("import chrono\nresult = chrono.install()\n")
        assert result.stripped == 0
        assert result.notes[0][1] == "left alone: chrono.install() used as a value"

    def test_own_tp_untouched(self) -> None:
        """A file with its own ``def tp`` has nothing to strip."""
        source = "def tp(x):\n    return x\n\ntp(1)\n"
        assert strip_result(source).text == source

    @pytest.mark.skipif(sys.version_info >= (3, 10), reason="exact positions from Python 3.10")
    def test_multi_line_f_string_on_python_3_9(self) -> None:
        """On 3.9 a call inside a multi-line f-string has no exact position: it stays."""
        source = 'text = f"""\n{tp(x)}"""\n'
        result = strip_result(source)
        assert (result.text, result.notes[0][1].startswith("left alone: Python gives no")) == (
            source,
            True,
        )

    @pytest.mark.skipif(sys.version_info < (3, 10), reason="exact positions from Python 3.10")
    def test_multi_line_f_string_from_python_3_10(self) -> None:
        """From 3.10 a call inside a multi-line f-string is unwrapped like any other."""
        assert stripped('text = f"""\n{tp(x)}"""\n') == 'text = f"""\n{x}"""\n'


class TestSafetyNet:
    """A rewrite that would change the syntax tree is refused, never written."""

    def test_wrong_parentheses_are_caught(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With parenthesizing broken on purpose, ``tp(a or b) and c`` is refused."""
        monkeypatch.setattr(_strip, "_needs_parentheses", lambda *arguments: False)
        with pytest.raises(StripRefused, match="would change the program"):
            strip_result("ok = tp(a or b) and c\n")

    def test_refused_file_is_left_unchanged(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """The command names a refused file on stderr and leaves its bytes alone."""
        monkeypatch.setattr(_strip, "_needs_parentheses", lambda *arguments: False)
        path = tmp_path / "a.py"
        path.write_text("ok = tp(a or b) and c\n")
        code, out, err = run_command(capsys, "strip", str(path))
        assert (code, out, path.read_text()) == (0, "", "ok = tp(a or b) and c\n")
        assert "left unchanged: the rewrite would change the program" in err


class TestRemovalSpans:
    """Deleting items of a separated sequence together with their separators."""

    def test_spans(self) -> None:
        """Removed items run to the next item's start; the last from the previous kept end."""
        # "a, b, c, d" with b and d removed, then with c and d removed.
        assert list(
            _strip._removal_spans([(0, 1, False), (3, 4, True), (6, 7, False), (9, 10, True)])
        ) == [
            (3, 6),
            (7, 10),
        ]
        assert list(
            _strip._removal_spans([(0, 1, False), (3, 4, False), (6, 7, True), (9, 10, True)])
        ) == [
            (6, 9),
            (4, 10),
        ]


class TestUnifiedDiff:
    """The diff ``chrono strip --diff`` prints."""

    def test_missing_final_newline_is_marked(self) -> None:
        """A last line without a newline is followed by git's marker."""
        diff = unified_diff("x = 1\ntp(x)", "x = 1\n", "a.py")
        assert diff.splitlines()[:2] == ["--- a/a.py", "+++ b/a.py"]
        assert "-tp(x)\n\\ No newline at end of file\n" in diff


class TestStripCommand:
    """``chrono strip`` through the command line."""

    def test_rewrites_files_in_place(
        self, workdir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Files are rewritten, each named with its count on stdout; exit code 0."""
        Path("a.py").write_text("from chrono import tp\ny = tp(1)\ntp(y)\n")
        Path("clean.py").write_text("y = 1\n")
        code, out, err = run_command(capsys, "strip", ".")
        assert (code, out, err) == (0, "a.py: stripped 2 calls\n", "")
        assert Path("a.py").read_text() == "y = 1\n"

    def test_diff_changes_nothing(self, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--diff prints a unified diff and leaves the file as it was."""
        Path("a.py").write_text("x = 1\ntp(x)\n")
        code, out, _ = run_command(capsys, "strip", "--diff", "a.py")
        assert code == 0
        assert out == "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1 @@\n x = 1\n-tp(x)\n"
        assert Path("a.py").read_text() == "x = 1\ntp(x)\n"

    def test_unparsable_file_is_skipped(
        self, workdir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file that does not parse is named on stderr and left alone; exit code 0."""
        Path("broken.py").write_text("tp(1\n")
        code, out, err = run_command(capsys, "strip", ".")
        assert (code, out) == (0, "")
        assert err.startswith("broken.py: cannot parse: ")
        assert Path("broken.py").read_text() == "tp(1\n"

    def test_missing_path_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A path that does not exist is a usage error."""
        code, _, err = run_command(capsys, "strip", "no/such/dir")
        assert (code, err) == (2, "chrono strip: error: no such file or directory: no/such/dir\n")

    def test_encoding_and_line_endings_survive(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A latin-1 file with CRLF endings is written back in latin-1 with CRLF."""
        path = tmp_path / "latin.py"
        path.write_bytes(
            b'# -*- coding: latin-1 -*-\r\nfrom chrono import tp\r\nname = "caf\xe9"\r\n'
            b"if name:\r\n\ttp(name)\r\n\tprint(tp(name))\r\n"
        )
        assert run_command(capsys, "strip", str(path))[0] == 0
        assert path.read_bytes() == (
            b'# -*- coding: latin-1 -*-\r\nname = "caf\xe9"\r\nif name:\r\n\tprint(name)\r\n'
        )

    def test_byte_order_mark_survives(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A UTF-8 file that starts with a byte order mark keeps it."""
        path = tmp_path / "bom.py"
        path.write_bytes(b"\xef\xbb\xbfx = 1\ntp(x)\n")
        run_command(capsys, "strip", str(path))
        assert path.read_bytes() == b"\xef\xbb\xbfx = 1\n"

    def test_installed_name_is_stripped_with_its_install(
        self, workdir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Stripping ``chrono.install("trace")`` also unwraps the ``trace(...)`` calls it served."""
        Path("setup_debug.py").write_text('import chrono\nchrono.install("trace")\nready = 1\n')
        Path("app.py").write_text("def f(x):\n    return trace(x) + 1\n")
        code, out, _ = run_command(capsys, "strip", ".")
        assert (code, out) == (0, "app.py: stripped 1 call\nsetup_debug.py: stripped 1 call\n")
        assert Path("setup_debug.py").read_text() == "ready = 1\n"
        assert Path("app.py").read_text() == "def f(x):\n    return x + 1\n"

    def test_subprocess_diff(self, tmp_path: Path) -> None:
        """``python -m chrono strip --diff`` prints the diff and leaves the file alone."""
        (tmp_path / "app.py").write_text("from chrono import tp\nprint(tp(2) * 3)\n")
        completed = subprocess.run(
            [sys.executable, "-m", "chrono", "strip", "--diff", "app.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0
        assert completed.stdout.splitlines()[-3:] == [
            "-from chrono import tp",
            "-print(tp(2) * 3)",
            "+print(2 * 3)",
        ]
        assert (tmp_path / "app.py").read_text() == "from chrono import tp\nprint(tp(2) * 3)\n"


# Programs whose output must not change when their tp() calls are stripped. Each prints what
# its calls' values and side effects did, in order.
PROGRAMS = {
    "values": (
        """\
        from chrono import tp

        def double(x):
            tp("doubling")
            return tp(x) * 2

        pair = tp(double(2), double(3))
        print(pair, tp() is None, tp(tp(5) + 1))
        """,
        "(4, 6) True 6\n",
    ),
    "side effects in order": (
        """\
        import chrono

        calls = []

        def log(name):
            calls.append(name)
            return name

        class Box:
            def size(self):
                calls.append("size")
                return 3

        chrono.tp(log("a"), 1, log("b"))
        chrono.tp(Box().size())
        if chrono.tp(log("c")):
            chrono.tp("only a label")
        print(calls)
        """,
        "['a', 'b', 'size', 'c']\n",
    ),
    "precedence": (
        """\
        from chrono import tp as t

        a, b, c = 0, 5, 7
        print(t(a or b) and c, t(1 < 2) < 3, -t(b - c), t(1).real, {**t({} or {"k": 1})})
        """,
        "7 True 2 1 {'k': 1}\n",
    ),
    "blocks emptied": (
        """\
        from chrono import tp

        def f(flag):
            if flag:
                tp(flag)
            else:
                tp("no")
            for item in range(2):
                tp(item)
            try:
                tp(1)
            finally:
                tp(2)
            return "done"

        print(f(True), f(False))
        """,
        "done done\n",
    ),
    "async and decorators": (
        """\
        import asyncio
        from chrono import tp

        def shout(function):
            return lambda *args: function(*args).upper()

        @tp(shout)
        def greet(name):
            return f"hi {tp(name)}"

        async def main():
            values = [tp(i) async for i in numbers()]
            return await tp(asyncio.sleep(0, values))

        async def numbers():
            for i in range(3):
                yield i

        print(greet("ann"), asyncio.run(main()))
        """,
        "HI ANN [0, 1, 2]\n",
    ),
}


class TestStrippedProgramsBehave:
    """Stripped programs print exactly what the originals printed."""

    @staticmethod
    def run(path: Path) -> str:
        completed = subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, check=True
        )
        return completed.stdout

    @pytest.mark.parametrize("name", sorted(PROGRAMS))
    def test_same_output(
        self, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The program prints the expected output before and after stripping, without chrono."""
        source, expected = PROGRAMS[name]
        path = tmp_path / "program.py"
        path.write_text(textwrap.dedent(source))
        assert self.run(path) == expected
        assert run_command(capsys, "strip", str(path))[0] == 0
        stripped_source = path.read_text()
        assert "chrono" not in stripped_source
        assert "tp(" not in stripped_source
        assert self.run(path) == expected


# A module that passes ``ruff check --select E,F,W,I,B``, then the same module in the middle
# of a debugging session: what ``chrono strip`` must turn back into the first, byte for byte.
CLEAN_ORDERS = """\
\"\"\"Orders and stock.\"\"\"

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .prices import price_of

log = logging.getLogger(__name__)


@dataclass
class Inventory:
    stock: dict[str, int] = field(default_factory=dict)

    def reserve(self, sku: str, count: int) -> bool:
        available = self.stock.get(sku, 0)
        if available < count:
            return False
        self.stock[sku] = available - count
        return True


@dataclass
class Order:
    order_id: int
    lines: list[tuple[str, int]]


def place(order: Order, inventory: Inventory) -> int:
    doubled = []
    for i in range(3):
        doubled.append(i)
    for sku, count in order.lines:
        inventory.reserve(sku, count)
    total = sum(price_of(sku) * count for sku, count in order.lines)
    log.info("placed %s for %s", order.order_id, total)
    return total
"""
DEBUGGED_ORDERS = """\
\"\"\"Orders and stock.\"\"\"

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from chrono import tp

from .prices import price_of

log = logging.getLogger(__name__)


@dataclass
class Inventory:
    stock: dict[str, int] = field(default_factory=dict)

    def reserve(self, sku: str, count: int) -> bool:
        tp(self.stock)
        available = self.stock.get(sku, 0)
        if tp(available < count):
            tp("short", sku)
            return False
        self.stock[sku] = tp(left=available - count)
        return True


@dataclass
class Order:
    order_id: int
    lines: list[tuple[str, int]]


def place(order: Order, inventory: Inventory) -> int:
    tp(order.order_id)
    tp(inventory.stock)

    doubled = []
    for i in range(3):
        tp(i * 2)
        doubled.append(i)
    for sku, count in order.lines:
        tp(inventory.reserve(sku, count), n=count)
    total = tp(total=sum(price_of(sku) * count for sku, count in order.lines))
    tp("placed", order, n=order.lines)
    log.info("placed %s for %s", order.order_id, total)
    return total
"""
CLEAN_LOADER = """\
import json


def load(path: str) -> dict[str, object]:
    with open(path) as handle:
        data = json.load(handle)
    return data
"""
DEBUGGED_LOADER = """\
import json

import chrono

chrono.install()


def load(path: str) -> dict[str, object]:
    with open(path) as handle:
        data = chrono.tp(json.load(handle))
    chrono.tp(path, handle.name)
    return data
"""


class TestStrippedFilesPassRuff:
    """A file that passed ruff passes it again once its tp() calls are stripped."""

    @staticmethod
    def ruff_findings(path: Path) -> str:
        command = [
            "ruff",
            "check",
            "--isolated",
            "--select",
            "E,F,W,I,B",
            "--output-format=concise",
        ]
        completed = subprocess.run(
            [sys.executable, "-m", *command, path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            check=False,
        )
        return "" if completed.returncode == 0 else completed.stdout + completed.stderr

    @pytest.mark.parametrize(
        ("clean", "debugged", "calls"),
        [
            pytest.param(CLEAN_ORDERS, DEBUGGED_ORDERS, 10, id="from chrono import tp"),
            pytest.param(CLEAN_LOADER, DEBUGGED_LOADER, 3, id="import chrono and install"),
        ],
    )
    def test_strip_gives_back_the_clean_file(
        self,
        clean: str,
        debugged: str,
        calls: int,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Both versions pass ruff; stripping the debugged one gives the clean one exactly."""
        path = tmp_path / "module.py"
        path.write_text(clean)
        assert self.ruff_findings(path) == ""
        path.write_text(debugged)
        assert self.ruff_findings(path) == ""
        stripped_calls = (0, f"{path}: stripped {calls} calls\n", "")
        assert run_command(capsys, "strip", str(path)) == stripped_calls
        assert self.ruff_findings(path) == ""
        assert path.read_text() == clean


def wrap_in_tp_calls(text: str, share: float, seed: int) -> str:
    """``text`` with a share of its expressions wrapped in tp() and label calls added between
    statements: what a debugging session leaves behind."""
    source = SourceText(text)
    tree = parse(text)
    chooser = random.Random(seed)
    insertions: list[tuple[int, int, int, str]] = []  # offset, order at one offset, tiebreak
    for node in _wrappable_expressions(tree, source):
        if chooser.random() < share:
            start, end = source.span(node)
            glued = start and (text[start - 1].isalnum() or text[start - 1] == "_")
            insertions.append((start, 2, start - end, " tp(" if glued else "tp("))
            insertions.append((end, 0, end - start, ")"))
    for node in ast.walk(tree):
        for block in (getattr(node, name, None) for name in ("body", "orelse", "finalbody")):
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            for previous, statement in zip(block, block[1:]):
                first = getattr(statement, "decorator_list", None) or [statement]
                start = source.span(first[0])[0] - (1 if first[0] is not statement else 0)
                indent = text[source.line_starts[first[0].lineno - 1] : start]
                same_line = previous.end_lineno == statement.lineno
                if chooser.random() < share and not same_line and not indent.strip():
                    label = chooser.choice(['tp("HERE")', "tp()", "tp(__name__, 1)"])
                    line_break = source.line_break(statement.lineno)
                    insertions.append((start, 1, 0, label + line_break + indent))
    return inserted(text, insertions)


def inserted(text: str, insertions: list[tuple[int, int, int, str]]) -> str:
    """``text`` with pieces inserted: (offset, order at one offset, tiebreak, piece)."""
    insertions.sort(key=lambda insertion: insertion[:3])
    pieces = []
    cursor = 0
    for offset, _, _, piece in insertions:
        pieces.extend((text[cursor:offset], piece))
        cursor = offset
    pieces.append(text[cursor:])
    return "".join(pieces)


def _wrappable_expressions(tree: ast.Module, source: SourceText) -> list[ast.expr]:
    """Expressions that ``tp(...)`` can wrap without changing the syntax tree's shape.

    A tuple written without parentheses is left out: ``tp(a, b)`` is a call of two values,
    which strip gives back as ``(a, b)``.
    """
    excluded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) or type(node).__name__ == "match_case":
            inside = node if isinstance(node, ast.JoinedStr) else node.pattern
            excluded.update(id(part) for part in ast.walk(inside))
        if isinstance(node, ast.Expr):  # tp(docstring) would be removed, not unwrapped
            excluded.add(id(node.value))
    unwrappable = (ast.Starred, ast.Slice, ast.Yield, ast.YieldFrom, ast.GeneratorExp)
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.expr)
        and id(node) not in excluded
        and not isinstance(node, unwrappable)
        and isinstance(getattr(node, "ctx", ast.Load()), ast.Load)
        and not (
            isinstance(node, ast.Tuple)
            and (
                len(node.elts) < 2
                or any(isinstance(item, unwrappable) for item in node.elts)
                or source.span(node)[0] == source.span(node.elts[0])[0]  # no "(" of its own
            )
        )
    ]


class TestStripRoundTrip:
    """Real modules littered with tp() calls strip back to exactly their own text."""

    @pytest.mark.parametrize(
        "module", ["textwrap.py", "json/decoder.py", "asyncio/locks.py", "contextlib.py"]
    )
    def test_standard_library_module(self, module: str) -> None:
        """Wrapping a third of a stdlib module's expressions in tp() and adding label calls
        between its statements, then stripping, gives back the module byte for byte."""
        original = (Path(sysconfig.get_paths()["stdlib"]) / module).read_text(encoding="utf-8")
        littered = wrap_in_tp_calls(original, share=0.3, seed=len(module))
        result = strip_result(littered)
        assert result.stripped > 100
        assert result.notes == []
        assert result.text == original


def wrap_places(text: str) -> tuple[str, int]:
    """``text`` with ``tp(...)`` around the expressions a debugging session wraps most (the
    conditions of ``if``, ``elif`` and ``while``, call arguments, f-string fields, comprehension
    conditions, match guards), and how many were wrapped."""
    source = SourceText(text)
    insertions: list[tuple[int, int, int, str]] = []  # offset, order at one offset, tiebreak
    for node in _wrapped_places(parse(text)):
        start, end = source.span(node)
        segment = text[start:end]
        try:
            reparsed = parse(f"({segment})").body[0]
        except SkippedFile:
            continue
        # Python 3.9 misplaces expressions inside f-strings; ``{x=}`` prints its own text.
        if not isinstance(reparsed, ast.Expr) or ast.dump(reparsed.value) != ast.dump(node):
            continue
        rest = text[end:].lstrip()
        if rest.startswith("=") and not rest.startswith("=="):
            continue
        glued = start and (text[start - 1].isalnum() or text[start - 1] == "_")
        insertions.append((start, 1, start - end, " tp(" if glued else "tp("))
        insertions.append((end, 0, end - start, ")"))
    return inserted(text, insertions), len(insertions) // 2


def _wrapped_places(tree: ast.Module) -> Iterator[ast.expr]:
    unwrappable = (ast.Starred, ast.GeneratorExp, ast.Yield, ast.YieldFrom)
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.While)):
            places = [node.test]
        elif isinstance(node, ast.Call):
            places = [*node.args, *(keyword.value for keyword in node.keywords if keyword.arg)]
        elif isinstance(node, ast.FormattedValue):
            places = [node.value]
        elif isinstance(node, ast.comprehension):
            places = list(node.ifs)
        elif type(node).__name__ == "match_case":
            places = [node.guard] if node.guard is not None else []  # type: ignore[attr-defined]
        else:
            continue
        yield from (place for place in places if not isinstance(place, unwrappable))


def installed_source(module: str) -> str:
    """The text of an installed module's file, read where it is installed (never copied)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        distribution = {"attr._make": "attrs"}.get(module, module.split(".")[0])
        pytest.skip(f"{module} is not installed: pip install {distribution}")
    return Path(spec.origin).read_bytes().decode("utf-8")


class TestStripByteForByte:
    """Real files of other projects, their expressions wrapped in tp(), strip back to the
    same bytes."""

    @pytest.mark.parametrize("module", ["rich.console", "django.db.models.query", "attr._make"])
    def test_installed_module(self, module: str) -> None:
        """Every wrapped condition, argument, f-string field and guard is unwrapped, and the
        file is byte-identical to the installed one."""
        original = installed_source(module)
        littered, wrapped = wrap_places(original)
        result = strip_result(littered)
        assert result.notes == []
        assert (result.stripped, wrapped > 500) == (wrapped, True)
        assert result.text == original

    @pytest.mark.parametrize("module", ["rich.console", "django.db.models.query", "attr._make"])
    def test_every_expression(self, module: str) -> None:
        """Half of all the file's expressions (operands, attributes, defaults, keys...) wrapped,
        and label calls added between statements: stripped, the file is byte-identical."""
        original = installed_source(module)
        result = strip_result(wrap_in_tp_calls(original, share=0.5, seed=len(module)))
        assert (result.notes, result.stripped > 1000) == ([], True)
        assert result.text == original
