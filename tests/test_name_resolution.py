"""Names on this Python: each context of docs/reliability.md's table gives the right names or
the placeholder, never a wrong name.

The contexts and how each runs come from ``benchmarks/name_resolution_table.py``, which prints
the table for every Python; here each runs once, on the interpreter running the tests.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest


def _load_table() -> Any:
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "name_resolution_table.py"
    spec = importlib.util.spec_from_file_location("name_resolution_table", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


TABLE = _load_table()
CONTEXTS: dict[str, Any] = {context.name: context for context in TABLE.CONTEXTS}

#: Where both names must be read from the source, from which Python on.
NAMED_FROM: dict[str, tuple[int, int]] = {
    "script (`python file.py`)": (3, 9),
    # Before 3.10 an f-string's inner expressions carry no usable positions.
    "f-string": (3, 10),
    # executing reads asserts rewritten by pytest from 3.11 on.
    "pytest assert (rewritten)": (3, 11),
    # 3.13 keeps the source of `python -c` and of its REPL.
    "`python -c`": (3, 13),
    "REPL (`python -i`, stdin)": (3, 13),
    "Jupyter (IPython `run_cell`)": (3, 9),
}


class TestContexts:
    @pytest.mark.parametrize("name", sorted(CONTEXTS))
    def test_right_names_or_placeholder(self, tmp_path: Path, name: str) -> None:
        """The variable is named in every context (by the bytecode where the source is
        missing), the expression is named or the placeholder, and both are named from the
        source where this Python allows."""
        if "IPython" in name and importlib.util.find_spec("IPython") is None:
            pytest.skip("IPython is not installed for this Python: pip install ipython")
        outcome = TABLE.run_context(sys.executable, CONTEXTS[name], tmp_path)
        assert outcome in (TABLE.RIGHT, TABLE.BYTECODE)
        if sys.version_info >= NAMED_FROM.get(name, (99, 0)):
            assert outcome == TABLE.RIGHT

    def test_every_context_is_classified(self) -> None:
        """Each context named as resolving exists in the table's list of contexts."""
        assert set(NAMED_FROM) <= set(CONTEXTS)
