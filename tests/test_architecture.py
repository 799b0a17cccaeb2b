"""The import contracts in pyproject.toml name every module of chrono they are meant to cover.

import-linter's forbidden contracts list their source modules one by one: a new module left off
a list would be free to import rich, or an integration, without any check failing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "chrono"


def _modules() -> set[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "_demo" in parts and len(parts) > 2 and parts[-1] == "test_shop":
            continue  # the demo's test file, run by pytest in a subprocess, not imported
        names.add(".".join(parts))
    return names


def _contract(contract_id: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["id"] == contract_id:
            return dict(contract)
    raise AssertionError(f"no import contract {contract_id!r} in pyproject.toml")


@pytest.mark.parametrize(
    ("contract_id", "exempt"),
    [
        ("rich-in-render", {"chrono.render"}),
        (
            "integrations",
            {
                "chrono.django",
                "chrono._django_runner",
                "chrono.sentry",
                "chrono.otel",
                "chrono.__main__",
            },
        ),
    ],
)
def test_contract_covers_every_module(contract_id: str, exempt: set[str]) -> None:
    """Every module but the exempt ones is a source module of the contract."""
    listed = set(_contract(contract_id)["source_modules"])
    assert _modules() - exempt - listed == set()


def test_data_side_covers_every_data_module() -> None:
    """Every module in the data-side layers is held to importing no display or test framework."""
    layers = _contract("layers")["layers"]
    data_layers = layers[layers.index("render : export") + 1 :]
    data_modules = {f"chrono.{name.strip()}" for layer in data_layers for name in layer.split(":")}
    listed = set(_contract("data-side")["source_modules"])
    assert data_modules - listed == set()


def test_the_layers_place_every_module() -> None:
    """The layers contract is exhaustive: lint-imports fails on a module with no layer."""
    assert _contract("layers")["exhaustive"] is True


#: The package's lazy attributes (`chrono.sentry` after `import chrono`) and its IPython
#: extension hooks (`%load_ext chrono` calls `chrono.load_ipython_extension`): edges in the
#: import graph, never taken while chrono is imported, so no import-time cycle.
LAZY_ATTRIBUTES = {
    ("chrono", "chrono.sentry"),
    ("chrono", "chrono.otel"),
    ("chrono", "chrono.ipython"),
}


def test_no_import_cycle_counting_imports_inside_functions() -> None:
    """No two modules of chrono import each other, directly or around a loop, counting imports
    made inside functions (the switch and the recorder once did: the sentinel one way,
    enable() the other); TYPE_CHECKING imports and the lazy attributes aside."""
    import grimp

    graph = grimp.build_graph("chrono", exclude_type_checking_imports=True)
    for importer, imported in LAZY_ATTRIBUTES:
        graph.remove_import(importer=importer, imported=imported)
    imports = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if imported.startswith("chrono") and imported != module  # a __main__ block's own
        }
        for module in graph.modules
        if module.startswith("chrono")
    }
    looped = sorted(module for module in imports if module in _reachable(imports, module))
    assert looped == []


def _reachable(imports: dict[str, set[str]], start: str) -> set[str]:
    """The modules ``start`` imports, directly or through others."""
    seen: set[str] = set()
    waiting = list(imports[start])
    while waiting:
        module = waiting.pop()
        if module not in seen:
            seen.add(module)
            waiting.extend(imports.get(module, ()))
    return seen
