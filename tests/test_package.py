"""The package as a newcomer meets it: what ``dir(chrono)`` lists, and names that mean one thing."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import chrono

SOURCE = Path(chrono.__file__).parent

#: Private names that several modules define on purpose, each time meaning the same thing.
SAME_MEANING_EVERYWHERE = {
    "_monotonic_ns": "time.monotonic_ns, bound once so that a call skips the attribute lookup",
    "_reset_after_fork": "the module's own os.register_at_fork hook",
    "_get_ident": "threading.get_ident, bound once so that a call skips the attribute lookup",
    "_getframe": "sys._getframe, bound once so that a call skips the attribute lookup",
}


def top_level_names() -> dict[str, list[str]]:
    """Each private name defined at the top of a chrono module, and the modules defining it."""
    modules: dict[str, list[str]] = defaultdict(list)
    for path in sorted(SOURCE.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [target.id for target in node.targets if isinstance(target, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            else:
                continue
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    modules[name].append(path.name)
    return modules


class TestDir:
    def test_lists_the_public_names_and_the_module_dunders_only(self) -> None:
        """dir(chrono) is __all__, __version__ and the module's dunders: no imported helpers."""
        listed = dir(chrono)
        assert {name for name in listed if not name.startswith("__")} == set(chrono.__all__)
        assert "__version__" in listed
        assert "TYPE_CHECKING" not in listed
        assert "annotations" not in listed
        assert not [name for name in listed if name.startswith("_") and not name.endswith("__")]

    def test_lists_the_same_after_the_lazy_names_loaded(self) -> None:
        """Using chrono.story (which imports the private modules) adds nothing to dir()."""
        with chrono.story():
            pass
        assert {name for name in dir(chrono) if not name.startswith("__")} == set(chrono.__all__)


class TestPrivateNames:
    def test_each_private_name_means_one_thing(self) -> None:
        """No two modules define the same private name for different things (a _Layout of a
        story and a _Layout of source text); the few shared on purpose mean the same."""
        shared = {name: files for name, files in top_level_names().items() if len(files) > 1}
        assert set(shared) <= set(SAME_MEANING_EVERYWHERE), shared

    def test_the_names_once_used_twice_are_each_in_one_module(self) -> None:
        """_Layout, _one_line and _site each have one meaning (and one module) left."""
        names = top_level_names()
        assert names["_Layout"] == ["_strip.py"]
        assert names["_one_line"] == ["_leftovers.py"]
        assert "_site" not in names
