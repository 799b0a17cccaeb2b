"""Source lookup: the syntax that trips it, and missing or stale source.

The rule throughout: an argument is shown under the name its caller wrote, or under the
placeholder ``<?>``; never under a wrong name.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import linecache
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest

import chrono
from chrono import _callsite, tp
from chrono._callsite import UNKNOWN_TEXT
from helpers import import_source, items, run_python, run_script

_Function = TypeVar("_Function", bound=Callable[..., Any])


def _passthrough_decorator(value: object) -> Callable[[_Function], _Function]:
    def decorate(function: _Function) -> _Function:
        return function

    return decorate


class TestTrickySyntax:
    def test_f_string_containing_tp(self) -> None:
        """tp inside an f-string replacement field is named (or, before 3.10, a placeholder)."""
        a = 1
        with chrono.story() as story:
            text = f"{tp(a)}!"
        assert text == "1!"
        ((inner,),) = items(story)
        expected = ("a",) if sys.version_info >= (3, 10) else ("a", UNKNOWN_TEXT)
        assert inner[0] in expected
        assert inner[1] == "1"

    def test_f_string_as_argument(self) -> None:
        """An f-string argument is shown with its source text and the formatted value."""
        a = 2
        with chrono.story() as story:
            tp(f"a={a}")
        assert items(story) == [(('f"a={a}"', "'a=2'"),)]

    def test_lambda(self) -> None:
        """tp inside a lambda names the lambda's parameter; the function is <lambda>."""
        double = lambda q: tp(q) * 2  # noqa: E731
        with chrono.story() as story:
            assert double(3) == 6
        assert items(story) == [(("q", "3"),)]
        assert story.events[0].function.endswith("<lambda>")

    def test_list_comprehension(self) -> None:
        """tp in a list comprehension names the loop variable, once per element."""
        with chrono.story() as story:
            result = [tp(item) for item in range(3)]
        assert result == [0, 1, 2]
        assert items(story) == [(("item", "0"),), (("item", "1"),), (("item", "2"),)]

    def test_dict_comprehension(self) -> None:
        """Both the key and the value expression of a dict comprehension are named."""
        with chrono.story() as story:
            result = {tp(key): tp(key * 10) for key in range(2)}
        assert result == {0: 0, 1: 10}
        assert items(story) == [
            (("key", "0"),),
            (("key * 10", "0"),),
            (("key", "1"),),
            (("key * 10", "10"),),
        ]

    def test_set_comprehension(self) -> None:
        """tp in a set comprehension names its argument."""
        with chrono.story() as story:
            result = {tp(member % 2) for member in range(4)}
        assert result == {0, 1}
        assert story.values("member % 2") == ["0", "1", "0", "1"]

    def test_generator_expression(self) -> None:
        """tp in a generator expression names its argument when the generator runs."""
        with chrono.story() as story:
            total = sum(tp(number) for number in range(3))
        assert total == 3
        assert story.values("number") == ["0", "1", "2"]

    def test_comprehension_inside_an_argument(self) -> None:
        """A comprehension inside tp's argument is part of the text, not a call of its own."""
        limit = 3
        with chrono.story() as story:
            tp([square * square for square in range(limit)])
        assert items(story) == [(("[square * square for square in range(limit)]", "[0, 1, 4]"),)]

    def test_lambda_inside_an_argument(self) -> None:
        """A lambda inside tp's argument is shown as written."""
        with chrono.story() as story:
            function = tp(lambda value: value + 1)
        assert function(1) == 2
        ((item,),) = items(story)
        assert item[0] == "lambda value: value + 1"
        assert item[1].startswith("<function")

    def test_multi_line_call(self) -> None:
        """A call spread over many lines names every argument."""
        first, second = 1, 2
        with chrono.story() as story:
            tp(
                first,
                second + 1,
            )
        assert items(story) == [(("first", "1"), ("second + 1", "3"))]

    def test_nested_calls(self) -> None:
        """tp(tp(x)) records x first, then tp(x) with the same value."""
        x = 5
        with chrono.story() as story:
            returned = tp(tp(x))
        assert returned == 5
        assert items(story) == [(("x", "5"),), (("tp(x)", "5"),)]

    def test_two_calls_on_one_line(self) -> None:
        """Two tp calls on one line are told apart by their column."""
        a, b = "first", "second"
        with chrono.story() as story:
            tp(a); tp(b)  # fmt: skip  # noqa: E702
        assert items(story) == [(("a", "'first'"),), (("b", "'second'"),)]
        assert story.events[0].line == story.events[1].line

    def test_decorator_argument(self) -> None:
        """tp inside a decorator expression is named, at the decorator's line."""
        size = 8
        with chrono.story() as story:

            @_passthrough_decorator(tp(size))
            @functools.lru_cache(maxsize=None)  # noqa: UP033 (3.9 has no functools.cache)
            def decorated(value: int) -> int:
                return tp(value)

            decorated(2)
        assert items(story) == [(("size", "8"),), (("value", "2"),)]

    def test_method_and_private_names(self) -> None:
        """Inside a class, self attributes and mangled private names keep the written names."""

        class Account:
            def __init__(self) -> None:
                self.__balance = 10
                self.owner = "ada"

            def report(self, change: int) -> object:
                __pending = change * 2
                return tp(self.owner, self.__balance, __pending)

        with chrono.story() as story:
            Account().report(3)
        assert items(story) == [
            (("self.owner", "'ada'"), ("self.__balance", "10"), ("__pending", "6"))
        ]
        assert story.events[0].function.endswith("report")

    def test_star_arguments_use_the_placeholder(self) -> None:
        """tp(*args) cannot match values to texts, so every value gets the placeholder."""
        arguments = (1, 2)
        with chrono.story() as story:
            assert tp(*arguments) == (1, 2)
        assert items(story) == [((UNKNOWN_TEXT, "1"), (UNKNOWN_TEXT, "2"))]

    def test_walrus(self) -> None:
        """An assignment expression argument is shown as written, with the value assigned."""
        with chrono.story() as story:
            tp(found := 5)
        assert found == 5
        assert items(story) == [(("found := 5", "5"),)]

    def test_await_inside_async_function(self) -> None:
        """tp(await ...) inside a coroutine names the awaited expression and the task."""

        async def fetch(value: int) -> int:
            return tp(await asyncio.sleep(0, result=value))

        async def main() -> int:
            return await asyncio.create_task(fetch(7), name="fetcher")

        with chrono.story() as story:
            assert asyncio.run(main()) == 7
        (event,) = story.events
        assert event.items == (("await asyncio.sleep(0, result=value)", "7"),)
        assert event.task == "fetcher"

    @pytest.mark.skipif(sys.version_info < (3, 10), reason="match arrived in Python 3.10")
    def test_match_statement(self, tmp_path: Path) -> None:
        """tp in match cases names the captured variables."""
        module = import_source(
            tmp_path,
            "matching",
            """
            from chrono import tp

            def classify(command):
                match command:
                    case [verb, target]:
                        return tp(verb, target)
                    case {"kind": kind}:
                        return tp(kind)
                    case _:
                        return tp(command)
            """,
        )
        with chrono.story() as story:
            module.classify(["go", "north"])
            module.classify({"kind": "jump"})
            module.classify(3)
        assert items(story) == [
            (("verb", "'go'"), ("target", "'north'")),
            (("kind", "'jump'"),),
            (("command", "3"),),
        ]

    @pytest.mark.parametrize("fake_statements", [1, 12])
    def test_column_zero_lines_in_a_string(self, tmp_path: Path, fake_statements: int) -> None:
        """Column-0 lines inside a string, which look like top-level statements, never mislead.

        With many of them the statement around the call cannot be found cheaply and the whole
        file is read instead; the names are right either way.
        """
        fake = "".join(f"value_{index} = {index}\n" for index in range(fake_statements))
        source = (
            "from chrono import tp\n\n"
            "def describe(alpha):\n"
            '    text = """\n'
            f"{fake}"
            "def not_code():\n"
            "    pass\n"
            '"""\n'
            "    return tp(alpha, len(text))\n"
        )
        module = import_source(tmp_path, "strings", source)
        with chrono.story() as story:
            module.describe(3)
        length = len("\n" + fake + "def not_code():\n    pass\n")
        assert items(story) == [(("alpha", "3"), ("len(text)", str(length)))]

    def test_call_inside_a_multi_line_string_expression(self, tmp_path: Path) -> None:
        """A tp call on the closing line of a triple-quoted string is named."""
        module = import_source(
            tmp_path,
            "closing",
            '''
            from chrono import tp

            def make(name):
                return """
            header
            """ + tp(name)
            ''',
        )
        with chrono.story() as story:
            assert module.make("x").endswith("x")
        assert items(story) == [(("name", "'x'"),)]


class TestCache:
    def test_calls_at_the_same_offset_of_different_functions(self) -> None:
        """Two functions alike but for their names call tp at the same instruction offset;
        called in turn, each keeps its own argument's name."""

        def first(apples: int) -> None:
            tp(apples)

        def second(pears: int) -> None:
            tp(pears)

        assert first.__code__.co_code == second.__code__.co_code
        with chrono.story() as story:
            for count in range(3):
                first(count)
                second(count * 10)
        assert story.values("apples") == ["0", "1", "2"]
        assert story.values("pears") == ["0", "10", "20"]
        assert [event.function.rsplit(".", 1)[-1] for event in story.events] == [
            "first",
            "second",
        ] * 3


class TestMissingSource:
    def test_python_dash_c(self) -> None:
        """Under python -c a lone variable is named, from the source or the bytecode."""
        code = "from chrono import tp\nvalue = 5\ntp(value)\n"
        result = run_python("-c", code)
        assert result.returncode == 0, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.endswith("value=5")

    def test_exec_of_a_string(self, tmp_path: Path) -> None:
        """Code run by exec has no source file: a lone variable is named by the bytecode,
        any other argument gets the placeholder."""
        result = run_script(
            tmp_path,
            """
            from chrono import tp
            value = 5
            exec("tp(value)")
            exec("tp(value + 1)")
            """,
        )
        assert result.returncode == 0, result.stderr
        named, unnamed = result.stderr.splitlines()
        assert "<string>:1" in named
        assert named.endswith("value=5")
        assert unnamed.endswith(f"{UNKNOWN_TEXT}=6")

    def test_module_deleted_after_import(self, tmp_path: Path) -> None:
        """A module whose file is gone by the first tp call shows the placeholder, but for
        a lone variable, which the bytecode names."""
        (tmp_path / "vanishing.py").write_text(
            "from chrono import tp\n\ndef call(value):\n    return tp(value, value + 1)\n"
        )
        result = run_script(
            tmp_path,
            """
            import os
            import vanishing
            os.remove(vanishing.__file__)
            vanishing.call(5)
            """,
        )
        assert result.returncode == 0, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.endswith(f"value=5, {UNKNOWN_TEXT}=6")

    @pytest.mark.parametrize(
        ("before", "after", "recorded"),
        [
            # Another call, reading another known name, at exactly the same position.
            ("tp(first)", "tp(other)", [("first", "1")]),
            # Two calls on one line, swapped.
            ("tp(first); tp(other)", "tp(other); tp(first)", [("first", "1"), ("other", "2")]),
            # The same name, but another attribute of it.
            ("tp(first.real)", "tp(first.imag)", [("first.real", "1")]),
        ],
        ids=["other-name", "swapped-on-one-line", "other-attribute"],
    )
    def test_file_edited_after_import(
        self, tmp_path: Path, before: str, after: str, recorded: list[tuple[str, str]]
    ) -> None:
        """When another call now sits where the running one was, no wrong name is shown."""
        (tmp_path / "edited.py").write_text(
            f"from chrono import tp\n\ndef call(first, other):\n    {before}\n"
        )
        result = run_script(
            tmp_path,
            f"""
            import linecache
            import pathlib
            import chrono
            import chrono._callsite
            import chrono._errors
            import edited

            chrono._errors.RAISE_INTERNAL_ERRORS = True
            with chrono.story() as story:
                edited.call(1, 2)
            print([event.items for event in story.events])
            path = pathlib.Path(edited.__file__)
            path.write_text(path.read_text().replace({before!r}, {after!r}))
            linecache.checkcache()
            chrono._callsite.clear_cache()
            with chrono.story() as story:
                edited.call(1, 2)
            print([event.items for event in story.events])
            """,
        )
        assert result.returncode == 0, result.stderr
        original, stale = (ast.literal_eval(line) for line in result.stdout.splitlines())
        assert original == [(item,) for item in recorded]
        assert len(stale) == len(recorded)
        for (item,), (name, value) in zip(stale, recorded):
            assert item in ((name, value), (UNKNOWN_TEXT, value))

    def test_file_edited_elsewhere_keeps_names(self, tmp_path: Path) -> None:
        """An edit that leaves the call where it was (lines added below) keeps the names."""
        (tmp_path / "appended.py").write_text(
            "from chrono import tp\n\ndef call(first):\n    return tp(first)\n"
        )
        result = run_script(
            tmp_path,
            """
            import linecache
            import pathlib
            import chrono
            import chrono._callsite
            import chrono._errors
            import appended

            chrono._errors.RAISE_INTERNAL_ERRORS = True
            path = pathlib.Path(appended.__file__)
            path.write_text(path.read_text() + "\\n\\ndef later():\\n    return tp(0)\\n")
            linecache.checkcache()
            chrono._callsite.clear_cache()
            with chrono.story() as story:
                appended.call(1)
            print(story.events[0].items)
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "(('first', '1'),)\n"


#: Calls whose names the bytecode tells, run where no source can be read. Each line prints
#: the label and items of the event it records; ``python -c`` on 3.13 has its source, and
#: may name the rest as written.
_WITHOUT_SOURCE = """\
import chrono
import chrono._errors
from chrono import tp

chrono._errors.RAISE_INTERNAL_ERRORS = True


class Box:
    b = 2


def f(value):
    return value * 10


GLOBAL = "g"
x, a, c = 1, Box(), 0


def in_function(x, a):
    y = 3

    def inner():
        tp(y)

    tp(x)
    tp(x, y)
    tp(a.b, x)
    tp(GLOBAL)
    inner()

    class Body:
        tp(y)


def in_method_of(owner):
    class Account:
        def report(self):
            __pending = 4
            tp(__pending)

    Account().report()


with chrono.story() as story:
    tp("HERE")
    tp("total", x)
    tp(x)
    tp(a.b)
    tp(total=1)
    tp(f(x))
    tp("saved", pk=x)
    tp(c and x, x)
    tp(x if c else a.b)
    tp(x, "x", None)
    in_function(x, a)
    in_method_of(a)
for event in story.events:
    print(repr((event.label, event.items)))
"""

#: What each event of ``_WITHOUT_SOURCE`` records: for some calls, either of two (the text
#: as written, where the source is read, or the placeholder), never a wrong name.
_RECORDED_WITHOUT_SOURCE: list[list[tuple[str | None, tuple[tuple[str, str], ...]]]] = [
    [("HERE", ())],
    [("total", (("x", "1"),))],
    [(None, (("x", "1"),))],
    [(None, (("<?>", "2"),)), (None, (("a.b", "2"),))],
    [(None, (("total", "1"),))],
    [(None, (("<?>", "10"),)), (None, (("f(x)", "10"),))],
    [("saved", (("pk", "1"),))],
    [(None, (("<?>", "0"), ("<?>", "1"))), (None, (("c and x", "0"), ("x", "1")))],
    [(None, (("<?>", "2"),)), (None, (("x if c else a.b", "2"),))],
    [(None, (("x", "1"), ("'x'", "'x'"), ("None", "None")))],
    [(None, (("x", "1"),))],
    [(None, (("x", "1"), ("y", "3")))],
    [(None, (("<?>", "2"), ("x", "1"))), (None, (("a.b", "2"), ("x", "1")))],
    [(None, (("GLOBAL", "'g'"),))],
    [(None, (("y", "3"),))],
    [(None, (("y", "3"),))],
    [(None, (("<?>", "4"),)), (None, (("__pending", "4"),))],
]


class TestWithoutSource:
    @pytest.mark.parametrize("context", ["python -c", "exec", "deleted file"])
    def test_bytecode_names_labels_and_keywords(self, tmp_path: Path, context: str) -> None:
        """Without source, a leading string constant is a label, a keyword names its value,
        a lone variable is named, and anything else keeps the placeholder."""
        if context == "python -c":
            result = run_python("-c", _WITHOUT_SOURCE, cwd=tmp_path)
        elif context == "exec":
            runner = f"exec(compile({_WITHOUT_SOURCE!r}, '<snippet>', 'exec'), {{}})\n"
            result = run_script(tmp_path, runner)
        else:
            deleting = "import os\nos.remove(__file__)\n" + _WITHOUT_SOURCE
            result = run_script(tmp_path, deleting)
        assert result.returncode == 0, result.stderr
        recorded = [ast.literal_eval(line) for line in result.stdout.splitlines()]
        assert len(recorded) == len(_RECORDED_WITHOUT_SOURCE)
        for event, expected in zip(recorded, _RECORDED_WITHOUT_SOURCE):
            assert event in expected


class TestLargeModule:
    def test_first_call_in_a_15000_line_module(self, tmp_path: Path) -> None:
        """The first tp call in a 15,000-line module names its arguments right. (What it
        costs is measured by benchmarks/bench_first_call.py, not timed here.)"""
        lines = ["from chrono import tp", ""]
        index = 0
        while len(lines) < 15_000:
            lines += [
                f"def function_{index}(a, b):",
                f"    total = a + b * {index}",
                "    squares = [x * x for x in range(total)]",
                "    return total, squares",
                "",
            ]
            index += 1
        lines += ["def target(alpha, beta):", "    return tp(alpha, beta + 1)", ""]
        (tmp_path / "huge.py").write_text("\n".join(lines))
        result = run_script(
            tmp_path,
            """
            import chrono
            import chrono._errors
            import huge

            chrono._errors.RAISE_INTERNAL_ERRORS = True
            with chrono.story() as story:
                huge.target(1, 2)
            print(story.events[0].items)
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "(('alpha', '1'), ('beta + 1', '3'))"


class TestSecretsByArgumentText:
    def test_call_site_marks_secret_arguments(self) -> None:
        """Arguments written as password, user.api_key or headers["Authorization"] are masked."""
        password = "hunter2"
        user = type("User", (), {"api_key": "k-123", "name": "ada"})()
        headers = {"Authorization": "Bearer abc"}
        with chrono.story() as story:
            tp(password, user.api_key, headers["Authorization"], user.name)
        assert items(story) == [
            (
                ("password", "<masked>"),
                ("user.api_key", "<masked>"),
                ('headers["Authorization"]', "<masked>"),
                ("user.name", "'ada'"),
            )
        ]


# Every way of naming that the lookup serves: names, expressions, a label, a keyword, a literal,
# a multi-line argument, and functions nested in a class, a function and a comprehension.
NAMING_MODULE = """
from chrono import tp


class Cart:
    def total(self, prices):
        tax = 0.2
        tp("total", sum(prices), tax)
        return [tp(price) for price in prices]


def outer(first, second):
    def inner(value):
        return tp(value, doubled=value * 2)

    tp(first,
       second)
    tp(3)
    tp()
    return inner(first)


def run():
    Cart().total([1, 2])
    outer(5, 6)
"""


def told(module_name: str, tmp_path: Path) -> list[tuple[object, ...]]:
    """What the events of ``NAMING_MODULE`` say, imported afresh as ``module_name``."""
    module = import_source(tmp_path, module_name, NAMING_MODULE)
    with chrono.story() as story:
        module.run()
    return [(event.label, event.items, event.function, event.line) for event in story.events]


class ExecutingRelease:
    """``executing.Source`` as a later release might have it: its public methods work, its
    private ``_for_filename_and_lines`` is gone (``renamed``) or takes other arguments."""

    def __init__(self, change: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.change = change
        self.monkeypatch = monkeypatch
        #: The files read whole through the public ``Source.for_filename``.
        self.files_read: list[str] = []
        #: The calls of the changed private method (there must be none).
        self.private_calls: list[tuple[object, ...]] = []

    def install(self) -> None:
        """Make this release's ``Source`` the one executing exports, until the test ends."""
        import executing

        files_read = self.files_read
        private_calls = self.private_calls

        class PublicOnly(executing.Source):
            @classmethod
            def for_filename(
                cls,
                filename: str | Path,
                module_globals: dict[str, Any] | None = None,
                use_cache: bool = True,
            ) -> executing.Source:
                files_read.append(str(filename))
                return cls(str(filename), linecache.getlines(str(filename), module_globals))

        def takes_other_arguments(*arguments: object) -> executing.Source:
            private_calls.append(arguments)
            raise TypeError("not the arguments this release takes")

        replacement = None if self.change == "renamed" else classmethod(takes_other_arguments)
        PublicOnly._for_filename_and_lines = replacement  # type: ignore[assignment]
        self.monkeypatch.setattr(executing, "Source", PublicOnly)
        # The statement source is built from executing.Source once per process: anew here.
        self.monkeypatch.setattr(_callsite._LazyStatementSource, "_built", False)
        self.monkeypatch.setattr(_callsite._LazyStatementSource, "_class", None)


class TestExecutingPrivateMethodGuard:
    """executing's private ``Source._for_filename_and_lines`` is used only where it is as
    chrono knows it; else every lookup goes through executing's public API."""

    @pytest.fixture(params=["renamed", "other arguments"])
    def release(
        self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
    ) -> ExecutingRelease:
        return ExecutingRelease(request.param, monkeypatch)

    def test_the_installed_executing_passes_the_guard(self) -> None:
        """With the executing chrono is tested with, the fast statement-only source is used:
        a release that changes the private method makes this fail in CI, not users' names."""
        import executing

        assert _callsite._makes_sources_of_lines(executing.Source)
        assert _callsite._StatementSource.source_class() is not None

    def test_without_the_private_method_names_are_the_same(
        self, release: ExecutingRelease, tmp_path: Path
    ) -> None:
        """Through the public path, every argument, label and function is named as through
        the private method, and the changed private method is never called."""
        with_private_method = told("naming_private", tmp_path)
        release.install()
        through_public_api = told("naming_public", tmp_path)
        assert through_public_api == with_private_method
        assert [label for label, _, _, _ in through_public_api][:1] == ["total"]
        assert release.private_calls == []
        assert str(tmp_path / "naming_public.py") in release.files_read
        assert _callsite._StatementSource.source_class() is None
