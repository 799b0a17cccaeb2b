"""The package as a newcomer meets it: what ``dir(chrono)`` lists, and names that mean one thing."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

import chrono

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before 3.11
    import tomli as tomllib

SOURCE = Path(chrono.__file__).parent
REPOSITORY = Path(__file__).resolve().parents[1]

#: Private names that several modules define on purpose, each time meaning the same thing.
SAME_MEANING_EVERYWHERE = {
    "_monotonic_ns": "time.monotonic_ns, bound once so that a call skips the attribute lookup",
    "_reset_after_fork": "the module's own os.register_at_fork hook",
    "_get_ident": "threading.get_ident, bound once so that a call skips the attribute lookup",
    "_getframe": "sys._getframe, bound once so that a call skips the attribute lookup",
    "_tuple_new": "tuple.__new__, to build an Event without its Python-level __new__",
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


#: The public submodules that are attributes of chrono without being in __all__.
INTEGRATIONS = {"otel", "sentry"}


class TestDir:
    def test_lists_the_public_names_and_the_module_dunders_only(self) -> None:
        """dir(chrono) is __all__, the integrations, __version__ and the module's dunders: no
        imported helpers."""
        listed = dir(chrono)
        public = {name for name in listed if not name.startswith("__")}
        assert public == set(chrono.__all__) | INTEGRATIONS
        assert "__version__" in listed
        assert "TYPE_CHECKING" not in listed
        assert "annotations" not in listed
        assert not [name for name in listed if name.startswith("_") and not name.endswith("__")]

    def test_lists_the_same_after_the_lazy_names_loaded(self) -> None:
        """Using chrono.story (which imports the private modules) adds nothing to dir()."""
        with chrono.story():
            pass
        public = {name for name in dir(chrono) if not name.startswith("__")}
        assert public == set(chrono.__all__) | INTEGRATIONS

    def test_all_is_the_sorted_public_surface_without_the_integrations(self) -> None:
        """__all__ is sorted and names no integration: `from chrono import *` loads no SDK."""
        assert chrono.__all__ == sorted(chrono.__all__)
        assert not INTEGRATIONS & set(chrono.__all__)


class TestIntegrationAttributes:
    @pytest.mark.parametrize(
        ("name", "used"),
        [("sentry", "chrono.sentry.ChronoIntegration"), ("otel", "chrono.otel.instrument")],
    )
    def test_reachable_after_import_chrono_and_loaded_only_then(
        self, tmp_path: Path, name: str, used: str
    ) -> None:
        """With CHRONO=off, `import chrono` loads no integration nor its SDK; the first
        `chrono.NAME` imports that integration, and the docs' spelling of it works."""
        script = tmp_path / "reach.py"
        script.write_text(
            "import sys\n"
            "import chrono\n"
            "WATCHED = ('sentry_sdk', 'opentelemetry', 'chrono.sentry', 'chrono.otel')\n"
            "def loaded():\n"
            "    return sorted(m for m in sys.modules if m.startswith(WATCHED))\n"
            "print(loaded())\n"
            f"print(callable({used}))\n"
            f"print(chrono.{name} is sys.modules['chrono.{name}'])\n",
            encoding="utf-8",
        )
        environment = {**os.environ, "CHRONO": "off"}
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, env=environment
        )
        assert result.stdout.splitlines() == ["[]", "True", "True"], result.stderr

    def test_an_unknown_name_is_still_an_attribute_error(self) -> None:
        """A name chrono does not have raises AttributeError naming it, as before."""
        with pytest.raises(AttributeError, match="'sentri'"):
            chrono.sentri


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


def wheel_check() -> ModuleType:
    """CI's wheel check (.ci/wheel_check.py), loaded as a module to read its lists."""
    spec = importlib.util.spec_from_file_location("wheel_check", REPOSITORY / ".ci/wheel_check.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestDistribution:
    def test_the_installed_metadata_has_the_package_version(self) -> None:
        """The chrono-tp distribution installed here has chrono.__version__ as its version."""
        assert importlib.metadata.version("chrono-tp") == chrono.__version__

    def test_the_version_is_written_in_the_package_alone(self) -> None:
        """pyproject.toml writes no version: hatchling reads it from src/chrono/__init__.py."""
        config = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
        assert "version" not in config["project"]
        assert config["project"]["dynamic"] == ["version"]
        assert config["tool"]["hatch"]["version"] == {"path": "src/chrono/__init__.py"}

    def test_every_shipped_file_is_checked_in_the_wheel(self) -> None:
        """Each file under src/ that is not a Python module, and each file pyproject puts in
        the wheel by force-include, is in the wheel check's REQUIRED_FILES, so CI fails when
        the wheel leaves it out."""
        sources = REPOSITORY / "src"
        files = {
            path.relative_to(sources).as_posix()
            for path in sources.rglob("*")
            if path.is_file() and path.suffix not in (".py", ".pyc")
        }
        config = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
        forced = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
        assert files | set(forced.values()) == set(wheel_check().REQUIRED_FILES)
