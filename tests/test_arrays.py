"""Arrays and frames read as shape, type, range and first values; ``register_repr`` for the
project's own types."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import chrono
from chrono import _arrays, _errors, _values, tp
from chrono._story import Story
from helpers import run_script

numpy = pytest.importorskip("numpy", reason="the array tests need numpy: pip install numpy")


def shown(value: object) -> str:
    """The text a story keeps for ``tp(value)``."""
    with chrono.story("values") as story:
        tp(value)
    return story.events[0].items[0][1]


class TestNumpy:
    def test_an_array_reads_as_shape_dtype_range_and_first_values(self) -> None:
        """A small float array shows its shape, dtype, min, max and first six values."""
        assert shown(numpy.arange(12.0).reshape(3, 4)) == (
            "array(shape=(3, 4), dtype=float64, min=0.0, max=11.0, "
            "[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, …])"
        )

    def test_a_short_array_shows_every_value(self) -> None:
        """An array of no more than six values shows them all, with no ellipsis."""
        assert shown(numpy.array([3, 1, 2])) == (
            "array(shape=(3,), dtype=int64, min=1, max=3, [3, 1, 2])"
        )

    def test_a_large_array_shows_no_range(self) -> None:
        """Past the range limit the summary reads no more than the first values."""
        large = numpy.ones(_arrays.WHOLE_RANGE_LIMIT + 1)
        assert shown(large) == (
            "array(shape=(10001,), dtype=float64, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, …])"
        )

    def test_text_and_empty_arrays_have_no_range(self) -> None:
        """A string array and an empty one show no min and max (none to give, or none that
        is a number)."""
        assert shown(numpy.array(["a", "b"])) == "array(shape=(2,), dtype=<U1, ['a', 'b'])"
        assert shown(numpy.empty((0, 3))) == "array(shape=(0, 3), dtype=float64, [])"

    def test_a_subclass_is_named_by_its_type(self) -> None:
        """A masked array is named as such; its masked values show as None."""
        masked = numpy.ma.masked_array([1, 2, 3], mask=[0, 1, 0])
        assert shown(masked) == "MaskedArray(shape=(3,), dtype=int64, min=1, max=3, [1, None, 3])"

    def test_a_projects_own_subclass_is_summarised(self) -> None:
        """An ndarray subclass defined outside numpy is summarised too, under its own name."""

        class Field(numpy.ndarray):
            pass

        assert shown(numpy.ones(2).view(Field)) == (
            "Field(shape=(2,), dtype=float64, min=1.0, max=1.0, [1.0, 1.0])"
        )

    def test_the_summary_is_masked_like_a_repr(self) -> None:
        """A secret written among an array's first values is masked."""
        assert "hunter2" not in shown(numpy.array(["password=hunter2"]))

    def test_chrono_imports_no_library_for_the_summaries(self, tmp_path: Path) -> None:
        """A program that records values without numpy never has numpy imported by chrono."""
        result = run_script(
            tmp_path,
            """
            import sys
            import chrono
            from chrono import tp
            with chrono.story("s") as story:
                tp([1, 2], {"a": 1}, 3.5, object())
            story.text()
            print(sorted(name for name in ("numpy", "pandas", "torch") if name in sys.modules))
            """,
        )
        assert result.stdout.strip() == "[]", result.stderr


class TestPandas:
    @pytest.fixture
    def pandas(self) -> Any:
        """pandas, or the test is skipped."""
        return pytest.importorskip("pandas", reason="the frame tests need: pip install pandas")

    def test_a_frame_reads_as_shape_columns_and_head(self, pandas: Any) -> None:
        """A frame shows its shape, its columns with their dtypes, and its first three rows."""
        frame = pandas.DataFrame({"a": range(1000), "b": numpy.arange(1000.0)})
        assert shown(frame) == (
            "DataFrame(shape=(1000, 2), columns=[a: int64, b: float64], "
            "head=[[0, 0.0], [1, 1.0], [2, 2.0], …])"
        )

    def test_a_frames_floats_read_as_numpy_prints_them(self, pandas: Any) -> None:
        """A frame's head writes its floats to eight significant digits, as its arrays do."""
        frame = pandas.DataFrame({"amount": [7.966113959219218]})
        assert shown(frame) == (
            "DataFrame(shape=(1, 1), columns=[amount: float64], head=[[7.966114]])"
        )

    def test_a_series_reads_as_name_length_range_and_first_values(self, pandas: Any) -> None:
        """A numeric series shows its name, length, dtype, range and first values."""
        series = pandas.Series([5, 3, 9], name="price")
        assert shown(series) == (
            "Series(name='price', length=3, dtype=int64, min=3, max=9, [5, 3, 9])"
        )

    def test_a_category_series_has_no_range(self, pandas: Any) -> None:
        """An extension dtype (category) shows no range: it is never made a whole array."""
        series = pandas.Series(["x", "y"], dtype="category")
        assert shown(series) == "Series(name=None, length=2, dtype=category, ['x', 'y'])"


class TestRegisterRepr:
    def test_a_registered_function_shows_the_type_and_its_subclasses(self) -> None:
        """Values of a registered type, and of its subclasses, show as the function says."""

        class Money:
            def __init__(self, cents: int) -> None:
                self.cents = cents

        class Refund(Money):
            pass

        chrono.register_repr(Money, lambda money: f"€{money.cents / 100:.2f}")
        assert shown(Money(1234)) == "€12.34"
        assert shown(Refund(5)) == "€0.05"

    def test_masking_still_applies(self) -> None:
        """A registered function's text is masked as a repr is."""

        class Login:
            pass

        chrono.register_repr(Login, lambda login: "Login(user='ann', password='hunter2')")
        assert shown(Login()) == "Login(user='ann', password=<masked>)"

    def test_a_failing_function_is_a_placeholder(self) -> None:
        """A registered function that raises shows the placeholder a failing repr shows."""

        class Broken:
            pass

        def fail(value: Broken) -> str:
            raise ValueError("no text")

        chrono.register_repr(Broken, fail)
        assert shown(Broken()) == "<repr failed: ValueError: no text>"

    def test_a_registered_array_type_wins_over_the_summary(self) -> None:
        """A project's own function for an array subclass replaces chrono's summary."""

        class Grid(numpy.ndarray):
            pass

        chrono.register_repr(Grid, lambda grid: f"Grid{grid.shape}")
        assert shown(numpy.zeros((2, 2)).view(Grid)) == "Grid(2, 2)"

    def test_live_lines_and_exports_use_it(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Live output and a story's JSON show the registered text."""

        class Point:
            pass

        chrono.register_repr(Point, lambda point: "Point<1, 2>")
        tp(Point())
        assert "Point<1, 2>" in capsys.readouterr().err
        with chrono.story("s") as story:
            tp(Point())
        exported = json.loads(story.to_json())
        assert exported["events"][0]["items"] == [["Point()", "Point<1, 2>"]]
        assert Story.from_dict(exported).values("Point()") == ["Point<1, 2>"]

    def test_anything_but_a_type_is_refused(self) -> None:
        """register_repr names what it expected when given something else."""
        with pytest.raises(TypeError, match="expected a type"):
            chrono.register_repr("Money", repr)  # type: ignore[arg-type]

    def test_the_array_libraries_are_listed_alike(self) -> None:
        """The values module looks for the same libraries the summaries know."""
        assert _values._ARRAY_LIBRARIES == _arrays.LIBRARIES
        assert "numpy" in sys.modules


class TestSummaryFailures:
    def test_a_summary_that_fails_gives_the_repr(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Where a summary cannot be made (an array subclass that hides what it reads), the
        value shows its own repr in production; under chrono's test switch, the error."""

        class Opaque(numpy.ndarray):
            @property
            def flat(self) -> Any:
                raise RuntimeError("no flat view")

            def __repr__(self) -> str:
                return "Opaque(...)"

        value = numpy.zeros(3).view(Opaque)
        assert shown(value) == "<repr failed: RuntimeError: no flat view>"
        monkeypatch.setattr(_errors, "RAISE_INTERNAL_ERRORS", False)
        assert shown(value) == "Opaque(...)"
