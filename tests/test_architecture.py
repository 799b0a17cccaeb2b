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
