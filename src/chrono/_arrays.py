"""Arrays and frames as a person checks them first: shape, type, range and first values.

``repr`` of a numpy array or a pandas frame prints a grid of numbers cut in the middle, and
costs in proportion to what it leaves out. A summary reads as what one looks at first
(``array(shape=(3, 4), dtype=float64, min=0.0, max=11.0, [0.0, 1.0, 2.0, …])``) and costs the
same for ten million elements as for a thousand: the range is worked out only up to
``WHOLE_RANGE_LIMIT`` elements, and only the first values are read.

Nothing here imports numpy, pandas or torch: ``summary_for`` is asked about a type whose
module the program has already imported (``chrono._values`` asks it once per type) and looks
the library up in ``sys.modules``.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from chrono._errors import swallowed

__all__ = ["FIRST_VALUES", "LIBRARIES", "WHOLE_RANGE_LIMIT", "summary_for"]

#: The top-level packages whose types this module summarises.
LIBRARIES = frozenset({"numpy", "pandas", "torch"})
#: How many of an array's first values a summary shows.
FIRST_VALUES = 6
#: Up to this many elements, a summary gives the range (min and max) of all of them; past it,
#: none, so that a large array costs no more than a small one.
WHOLE_RANGE_LIMIT = 10_000
#: How many of a frame's first rows, and of its columns, a summary shows.
HEAD_ROWS = 3
HEAD_COLUMNS = 20

#: numpy's kinds of dtype whose min and max are numbers: bool, signed, unsigned, float.
_RANGED_KINDS = frozenset("biuf")


def summary_for(value_type: type) -> Callable[[Any], str] | None:
    """The summary of values of ``value_type`` (one of the types known here, or a subclass of
    one, a project's own included), or None; a library not imported has no types."""
    for library_name, class_name, summary in _SUMMARIES:
        library = sys.modules.get(library_name)
        known = getattr(library, class_name, None) if library is not None else None
        if isinstance(known, type) and issubclass(value_type, known):
            return summary
    return None


def array_summary(array: Any) -> str:
    """``array(shape=(3, 4), dtype=float64, min=0.0, max=11.0, [0.0, 1.0, …])``: a numpy
    array (a subclass is named by its own type)."""
    name = "array" if type(array).__name__ == "ndarray" else type(array).__name__
    fields = [f"shape={array.shape}", f"dtype={_dtype_text(array.dtype)}"]
    size = array.size
    if 0 < size <= WHOLE_RANGE_LIMIT and array.dtype.kind in _RANGED_KINDS:
        fields += _range(array)
    fields.append(_first_values(array.flat[:FIRST_VALUES].tolist(), size))
    return f"{name}({', '.join(fields)})"


def series_summary(series: Any) -> str:
    """``Series(name='price', length=1000, dtype=float64, min=…, max=…, [first values…])``."""
    fields = [f"name={series.name!r}", f"length={len(series)}", f"dtype={series.dtype}"]
    dtype = series.dtype
    # Only numpy's own dtypes: an extension type (categorical, nullable) could copy the whole
    # column to become an array.
    numpy = sys.modules.get("numpy")
    is_numpy = numpy is not None and isinstance(dtype, numpy.dtype)
    if is_numpy and 0 < len(series) <= WHOLE_RANGE_LIMIT and dtype.kind in _RANGED_KINDS:
        values = series.to_numpy()
        fields += _range(values)
    fields.append(_first_values(series.iloc[:FIRST_VALUES].tolist(), len(series)))
    return f"Series({', '.join(fields)})"


def frame_summary(frame: Any) -> str:
    """``DataFrame(shape=(1000, 2), columns=[a: int64, b: float64], head=[[…], …])``: its
    first columns' names and dtypes, and its first rows."""
    rows, columns = frame.shape
    shown = frame.iloc[:HEAD_ROWS, :HEAD_COLUMNS]
    described = ", ".join(f"{name}: {dtype}" for name, dtype in shown.dtypes.items())
    if columns > HEAD_COLUMNS:
        described += f", … {columns - HEAD_COLUMNS} more"
    # Row by row, each value of its column's own type (to_numpy would make a frame of ints
    # and floats all floats).
    head = ", ".join(
        f"[{', '.join(map(_value_text, row))}]" for row in shown.itertuples(index=False, name=None)
    )
    head = f"[{head}, …]" if rows > HEAD_ROWS else f"[{head}]"
    return f"DataFrame(shape={frame.shape}, columns=[{described}], head={head})"


def tensor_summary(tensor: Any) -> str:
    """``tensor(shape=(3, 4), dtype=torch.float32, device=cpu, min=…, max=…, [first…])``: the
    range and first values only for a tensor on the CPU, where reading them moves nothing."""
    shape = tuple(tensor.shape)
    fields = [f"shape={shape}", f"dtype={tensor.dtype}", f"device={tensor.device}"]
    size = tensor.numel()
    if tensor.device.type == "cpu" and not tensor.is_complex() and size:
        flat = tensor.detach()
        if size <= WHOLE_RANGE_LIMIT:
            fields += _range(flat)
        first = [flat[index].item() for index in _first_indexes(shape)]
        fields.append(_first_values(first, size))
    return f"tensor({', '.join(fields)})"


def _range(values: Any) -> list[str]:
    """``min=…`` and ``max=…`` of an array or a tensor."""
    return [f"min={_value_text(values.min().item())}", f"max={_value_text(values.max().item())}"]


def _value_text(value: Any) -> str:
    """A value as a summary shows it: a float to eight significant digits, as numpy prints
    arrays; anything else by its repr."""
    if type(value) is float:
        return repr(float(f"{value:.8g}"))
    return repr(value)


def _or_repr(summary: Callable[[Any], str]) -> Callable[[Any], str]:
    """``summary``, or the value's own repr where the summary fails (a library's subclass or
    a version that does not have what it reads): chrono's error, not the value's."""

    def summarised(value: Any) -> str:
        try:
            return summary(value)
        except Exception as error:
            if not swallowed(error):
                raise
            return repr(value)

    return summarised


#: Which summary each library's types take: (library, its class, the summary).
_SUMMARIES: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("numpy", "ndarray", _or_repr(array_summary)),
    ("pandas", "DataFrame", _or_repr(frame_summary)),
    ("pandas", "Series", _or_repr(series_summary)),
    ("torch", "Tensor", _or_repr(tensor_summary)),
)


def _first_indexes(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The indexes of a tensor's first values in row-major order, with no copy of it made."""
    indexes: list[tuple[int, ...]] = []
    index = [0] * len(shape)
    for _ in range(FIRST_VALUES):
        indexes.append(tuple(index))
        for axis in reversed(range(len(shape))):
            index[axis] += 1
            if index[axis] < shape[axis]:
                break
            index[axis] = 0
        else:
            break
    return indexes


#: The text of each numpy dtype seen: numpy writes one in microseconds, a tenth of a summary.
_dtype_texts: dict[Any, str] = {}


def _dtype_text(dtype: Any) -> str:
    try:
        return _dtype_texts[dtype]
    except KeyError:
        if len(_dtype_texts) > 1_000:
            _dtype_texts.clear()
        text = _dtype_texts[dtype] = str(dtype)
        return text


def _first_values(values: list[Any], size: int) -> str:
    shown = ", ".join(_value_text(value) for value in values)
    return f"[{shown}, …]" if size > len(values) else f"[{shown}]"
