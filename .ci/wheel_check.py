"""The wheel as a user gets it: built, checked, installed into a fresh venv, and run from there.

An editable install reads the source tree, so it hides a file the wheel forgot. This script
builds the sdist and the wheel (``python -m build``), checks their metadata (``twine check``),
checks that the wheel holds every file chrono reads at run time, builds the wheel again from
the unpacked sdist and compares the two, then installs the wheel (not editable) into a fresh
venv and runs what the README shows from a folder outside the checkout.

Run by ``.ci/run``; alone: ``python .ci/wheel_check.py``. Installs build and twine into the
interpreter that runs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = "chrono-tp"

#: Files other than chrono's Python modules that the wheel must hold, by their path inside
#: it (for a file under src/, its path relative to src/). Every Python module under
#: src/chrono is checked without being listed. A new file that chrono reads at run time, or
#: that must land in site-packages (a .pth startup hook), goes here; tests/test_package.py
#: fails when a file under src/ is neither a module nor listed.
REQUIRED_FILES = [
    # The logpoints' startup hook, at the wheel's root (pyproject's force-include): an
    # editable install can hide its absence.
    "chrono_at.pth",
    "chrono/py.typed",
    "chrono/_demo/pytest.ini",
    "chrono/_page/report.css",
    "chrono/_page/report.js",
    "chrono/schema/story-2.json",
]

#: What `CHRONO=off python -c "import chrono"` must not import.
HEAVY_MODULES = ["rich", "executing", "asttokens", "pytest"]

FAILING_TEST = """\
import pytest

from chrono import tp


def total(prices):
    result = 0
    for price in prices:
        result += tp(price)
    return tp(result)


@pytest.mark.parametrize("prices", [[3, 4], [3, 4, 5]])
def test_total(prices):
    assert total(prices) == sum(prices) + 1
"""

#: A script whose exception carries the story of the block it left.
STORY_SCRIPT = """\
import chrono
from chrono import tp

with chrono.story("checkout"):
    tp(paid=False)
    raise ValueError("not paid")
"""


#: A program that never imports chrono: CHRONO_AT reaches it through the startup hook alone.
PLAIN_SCRIPT = """\
def total(prices):
    result = 0
    for price in prices:
        result += price
    return result


print(total([3, 4]))
"""


class CheckFailed(Exception):
    pass


def step(title: str) -> None:
    print(f"\n--> {title}", flush=True)


def run(command: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; its output, or CheckFailed with the output when it exits non-zero."""
    result = run_status(command, cwd=cwd, env=env)
    if result.returncode != 0:
        raise CheckFailed(f"{describe(command)} exited {result.returncode}:\n{result.stdout}")
    return result.stdout


def run_status(
    command: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def describe(command: list[str | Path]) -> str:
    return " ".join(Path(part).name if isinstance(part, Path) else part for part in command)


def expect(condition: bool, message: str, output: str = "") -> None:
    if not condition:
        raise CheckFailed(f"{message}\n{output}".rstrip())


def source_version() -> str:
    text = (ROOT / "src" / "chrono" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    expect(found is not None, "src/chrono/__init__.py sets no __version__")
    assert found is not None
    return found.group(1)


def build(source: Path, outdir: Path) -> tuple[Path, Path]:
    """The sdist and the wheel built from ``source`` into ``outdir``."""
    run([sys.executable, "-m", "build", "--outdir", outdir, source], cwd=source)
    sdists = sorted(outdir.glob("*.tar.gz"))
    wheels = sorted(outdir.glob("*.whl"))
    expect(len(sdists) == 1 and len(wheels) == 1, f"expected one sdist and one wheel in {outdir}")
    return sdists[0], wheels[0]


def check_contents(wheel: Path, version: str) -> None:
    """The wheel holds every module, every listed file, the licence, and metadata that names
    the distribution and the version of src/chrono/__init__.py."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"{DISTRIBUTION.replace('-', '_')}-{version}.dist-info"
        metadata = archive.read(f"{dist_info}/METADATA").decode("utf-8")
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode("utf-8")
    modules = [
        path.relative_to(ROOT / "src").as_posix()
        for path in sorted((ROOT / "src" / "chrono").rglob("*.py"))
    ]
    missing = [name for name in [*modules, *REQUIRED_FILES] if name not in names]
    expect(not missing, f"{wheel.name} lacks: {', '.join(missing)}")
    expect(
        any(name.startswith(f"{dist_info}/") and name.endswith("/LICENSE") for name in names),
        f"{wheel.name} holds no LICENSE in {dist_info}",
    )
    for line in (f"Name: {DISTRIBUTION}", f"Version: {version}", "License-Expression: MIT"):
        expect(line in metadata.splitlines(), f"the wheel's METADATA lacks {line!r}")
    for line in ("chrono = chrono.cli:main", "chrono = chrono.pytest_plugin"):
        expect(line in entry_points, f"the wheel's entry points lack {line!r}", entry_points)
    print(f"{wheel.name}: {len(modules)} modules, {len(REQUIRED_FILES)} other files, LICENSE")


def record(wheel: Path) -> list[str]:
    """The wheel's RECORD: every file with its hash, so two equal RECORDs mean equal wheels."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(name for name in archive.namelist() if name.endswith(".dist-info/RECORD"))
        return sorted(archive.read(name).decode("utf-8").splitlines())


def check_sdist_builds_the_same_wheel(sdist: Path, wheel: Path, work: Path) -> None:
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):  # 3.12, and security releases of 3.9 to 3.11
            archive.extractall(work / "unpacked", filter="data")
        else:
            archive.extractall(work / "unpacked")
    (unpacked,) = (work / "unpacked").iterdir()
    run([sys.executable, "-m", "build", "--wheel", "--outdir", work / "again", unpacked], cwd=work)
    (again,) = (work / "again").glob("*.whl")
    expect(again.name == wheel.name, f"the sdist built {again.name}, not {wheel.name}")
    ours, theirs = record(wheel), record(again)
    differ = sorted(set(ours) ^ set(theirs))
    expect(not differ, "the wheel built from the sdist differs:\n" + "\n".join(differ))
    print(f"the unpacked sdist built the same wheel ({len(ours)} files, same hashes)")


def fresh_venv(wheel: Path, work: Path) -> tuple[Path, dict[str, str]]:
    """A new venv with the wheel installed (and pytest, for the demo and the test run)."""
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=work)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", f"{wheel}[demo]"], cwd=work)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "CHRONO", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env.update(NO_COLOR="1", COLUMNS="100", PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    return python, env


def check_installed(python: Path, env: dict[str, str], work: Path, version: str) -> None:
    """What the README shows, run from the installed wheel in a folder outside the checkout."""
    project = work / "project"
    project.mkdir()

    where = run([python, "-c", "import chrono; print(chrono.__file__)"], cwd=project, env=env)
    expect("site-packages" in where and str(ROOT) not in where, f"chrono came from {where}")
    print(f"import chrono: {Path(where.strip()).parent.name} in the venv's site-packages")

    metadata = run(
        [python, "-c", f"import importlib.metadata as m; print(m.version({DISTRIBUTION!r}))"],
        cwd=project,
        env=env,
    )
    command = run(["chrono", "--version"], cwd=project, env=env)
    expect(metadata.strip() == version, f"the metadata says {metadata.strip()}, not {version}")
    expect(command.strip() == f"chrono {version}", f"chrono --version says {command.strip()}")
    print(f"version {version}: __init__.py, the metadata and `chrono --version` agree")

    demo = run(["chrono", "demo"], cwd=project, env=env)
    expect("chrono story" in demo, "the demo told no story", demo)
    expect("1 failed, 2 passed" in demo, "the demo did not fail as designed", demo)
    print("chrono demo: one failing test, and its story")

    (project / "test_total.py").write_text(FAILING_TEST, encoding="utf-8")
    exports = ["--chrono-html=report.html", "--chrono-json=stories"]
    result = run_status(
        [python, "-m", "pytest", "-p", "no:cacheprovider", *exports], cwd=project, env=env
    )
    expect(result.returncode == 1, f"pytest exited {result.returncode}, not 1", result.stdout)
    expect(
        "chrono story" in result.stdout, "the failing tests' reports have no story", result.stdout
    )
    for line in ("price=3", "price=5", "result=7", "result=12"):
        expect(line in result.stdout, f"the stories lack {line}", result.stdout)
    print("two failing tests' reports carry their stories: price=3 … result=7, … result=12")

    page = (project / "report.html").read_text(encoding="utf-8")
    site = Path(where.strip()).parent
    for asset in ("report.css", "report.js"):
        text = (site / "_page" / asset).read_text(encoding="utf-8")
        expect(bool(text.strip()) and text in page, f"report.html lacks _page/{asset}")
    expect("test_total" in page, "report.html does not hold the failing tests' stories")
    print(f"--chrono-html: report.html, {len(page):,} characters, with both assets inline")

    stories = sorted((project / "stories").glob("*.json"))
    expect(len(stories) == 2, f"--chrono-json wrote {len(stories)} files, not 2")
    schema_id = run(
        [python, "-c", "from chrono.export import story_schema; print(story_schema()['$id'])"],
        cwd=project,
        env=env,
    )
    expect(schema_id.strip() == "urn:chrono:schema:story-2", f"the schema says {schema_id}")
    compared = run_status(["chrono", "compare", *stories], cwd=project, env=env)
    expect(compared.returncode == 1, "chrono compare found no divergence", compared.stdout)
    expect("share their first" in compared.stdout, "chrono compare said", compared.stdout)
    print("--chrono-json: 2 stories; the shipped schema loads; chrono compare: they diverged")

    check = run_status(["chrono", "check", "test_total.py"], cwd=project, env=env)
    expect(check.returncode == 1, f"chrono check exited {check.returncode}, not 1", check.stdout)
    expect("test_total.py:9:" in check.stdout, "chrono check missed a tp call", check.stdout)
    print(f"chrono check: exit 1, {len(check.stdout.splitlines())} leftover calls listed")

    (project / "checkout.py").write_text(STORY_SCRIPT, encoding="utf-8")
    told = run_status([python, "checkout.py"], cwd=project, env=env)
    expect("chrono story 'checkout'" in told.stdout, "the exception carried no story", told.stdout)
    expect("paid=False" in told.stdout, "the story lacks paid=False", told.stdout)
    print("chrono.story(): the exception that left the block carried its story")

    probe = "import sys, chrono; print(' '.join(sorted(set(sys.argv[1:]) & set(sys.modules))))"
    heavy = run(
        [python, "-c", probe, *HEAVY_MODULES], cwd=project, env={**env, "CHRONO": "off"}
    ).strip()
    expect(not heavy, f"CHRONO=off python -c 'import chrono' imported {heavy}")
    print(f"CHRONO=off: import chrono imports none of {', '.join(HEAVY_MODULES)}")

    (project / "plain.py").write_text(PLAIN_SCRIPT, encoding="utf-8")
    logged = run([python, "plain.py"], cwd=project, env={**env, "CHRONO_AT": "plain.py:4:price"})
    for line in ("7", "price=3", "price=4", "(logpoint)"):
        expect(line in logged, f"CHRONO_AT's run lacks {line!r}", logged)
    print("CHRONO_AT: the startup hook set a logpoint in a program that never imports chrono")


def main() -> int:
    step("build and twine, into this interpreter")
    run([sys.executable, "-m", "pip", "install", "-q", "build", "twine"], cwd=ROOT)
    version = source_version()
    with tempfile.TemporaryDirectory(prefix="chrono-wheel-") as folder:
        work = Path(folder)
        try:
            step("the sdist and the wheel (python -m build)")
            sdist, wheel = build(ROOT, work / "dist")
            print(f"built {sdist.name} and {wheel.name}")
            step("their metadata (twine check --strict)")
            twine: list[str | Path] = [
                sys.executable,
                "-m",
                "twine",
                "--no-color",
                "check",
                "--strict",
            ]
            print(run([*twine, sdist, wheel], cwd=ROOT).strip())
            step("what the wheel holds")
            check_contents(wheel, version)
            step("the sdist, unpacked, builds the same wheel")
            check_sdist_builds_the_same_wheel(sdist, wheel, work)
            step("the wheel installed into a fresh venv (not editable), run from outside")
            python, env = fresh_venv(wheel, work)
            check_installed(python, env, work, version)
        except CheckFailed as failure:
            print(textwrap.indent(str(failure), "  "), file=sys.stderr)
            print("wheel check failed", file=sys.stderr)
            return 1
    print("\nthe wheel works as installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
