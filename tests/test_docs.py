"""The documentation's text: what it shows of real runs holds no path of the machine they ran on."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
DOCS = REPOSITORY / "docs"
# The terminal pictures (SVG) hold the text of the runs they show.
DOCUMENTS = sorted(
    [
        *(REPOSITORY / name for name in ("README.md", "CHANGELOG.md", "CONTRIBUTING.md")),
        *DOCS.rglob("*.md"),
        *DOCS.rglob("*.svg"),
    ],
    key=lambda path: path.relative_to(REPOSITORY).as_posix(),
)


def machine_paths() -> list[str]:
    """Beginnings of paths that only the machine a run was captured on has."""
    paths = {
        f"{REPOSITORY.as_posix()}/",
        f"{Path.home().as_posix()}/",
        "/root/",
        "/tmp/pytest-of-",
    }
    # The folder that holds this checkout holds its sibling checkouts too, unless it is a
    # folder every machine has (a clone made in /tmp, as CI may make it).
    parent = REPOSITORY.parent
    if parent not in (Path(tempfile.gettempdir()).resolve(), Path(parent.anchor)):
        paths.add(f"{parent.as_posix()}/")
    return sorted(paths)


class TestMachinePaths:
    @pytest.mark.parametrize(
        "document", DOCUMENTS, ids=[path.relative_to(REPOSITORY).as_posix() for path in DOCUMENTS]
    )
    def test_no_path_of_the_machine(self, document: Path) -> None:
        """No line of the document names a folder of the machine its examples ran on."""
        lines = document.read_text(encoding="utf-8").splitlines()
        found = [
            f"{number}: {line.strip()}"
            for number, line in enumerate(lines, 1)
            if any(path in line for path in machine_paths())
        ]
        assert found == []
