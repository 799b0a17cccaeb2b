"""The pytest side of suspects: ranked when the run's outcomes are known, told first in each
failing test's chrono section.

Ranking needs every passing story of the run, so it happens where the stories are gathered
(``_pytest_compare.Gatherer``, the controller under pytest-xdist) when the session finishes,
before the terminal prints the failures and before the exports are written. It reads the
stories comparison already keeps: the failing ones in the compact form, this run's passing ones
(subtests as their own, every worker's), and, as more passing runs, the last passes the cache
keeps of tests that did not pass in this run (so ``--lf`` and ``-k`` still rank). A run with no
failure ranks nothing, and a passing test pays nothing here.

A failing report's story section was drawn when the test failed; its report also carries what
drew it, as plain data (``SECTION_ATTRIBUTE``, failing reports only), so that the section is
drawn again once the suspects are known: the suspects first, then the story with their events
marked, cut around them to the budget (``--chrono-full`` shows it whole). JUnit XML has taken
the whole story by then; the exports take the suspects from ``SUSPECTS_ATTRIBUTE``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from chrono import _pytest_sections
from chrono._errors import from_outside
from chrono._pytest_options import BUDGET_LINES, SuspectOptions

if TYPE_CHECKING:
    from chrono._failure import EventMarks
    from chrono._story import Story
    from chrono._suspects import Evidence, Suspect

#: The report attribute with what drew a failing report's story section: its title, the story
#: part as ``Story.to_dict()`` data, and the failure's marks.
SECTION_ATTRIBUTE = "chrono_story_section"
#: The report attribute with the failing story's suspects, as ``Suspect.to_dict()`` data.
SUSPECTS_ATTRIBUTE = "chrono_suspects"
#: Lines of a story section besides its event rows: its title, the marks' footnotes, and a
#: time gap or two.
_BESIDE_ROWS = 5


def keep_section(
    report: pytest.TestReport, title: str, story: Story, marks: EventMarks | None
) -> None:
    """Let the failing report's story section be drawn again when the suspects are known."""
    setattr(
        report,
        SECTION_ATTRIBUTE,
        {
            "title": title,
            "story": story.to_dict(),
            "marks": sorted(marks.seqs) if marks is not None else [],
            "about": marks.about if marks is not None else None,
        },
    )


def rank_failures(
    config: pytest.Config,
    options: SuspectOptions,
    failures: Sequence[tuple[pytest.TestReport, dict[str, Any]]],
    passing: Sequence[dict[str, Any]],
    cached: Iterable[dict[str, Any]],
) -> list[tuple[pytest.TestReport, list[Suspect]]]:
    """Rank each failing story's suspects over the run, and put them on its report as data;
    ``retell_failures`` draws them, once the comparisons (which the budget counts) are there.

    ``failures``: each failing report and its story (compact); ``passing``: this run's passing
    stories (compact); ``cached``: last passes (compact) of tests that did not pass in this
    run, read only when there is a failure. Returns each report ranked, with its suspects; a
    report whose suspects could not be ranked says so, and is not among them.
    """
    if options.formula is None or not failures:
        return []
    from chrono._suspects import evidence, rank, spectra

    try:
        failing = [evidence(story["files"], story["events"]) for _, story in failures]
        # A test whose call and teardown both failed sends its story twice: one failing run.
        runs = {story["name"]: each for (_, story), each in zip(failures, failing)}
        sites = frozenset().union(*(story.sites for story in failing))
        names = [story["name"] for _, story in failures] + [story["name"] for story in passing]
        found = spectra(list(runs.values()), _evidence_of(passing, cached, names, sites))
        test_files = _test_files(config, names)
    except Exception as error:  # a broken ranking must not hide the tests' own failures
        if from_outside(error):
            raise
        for report, _story in failures:
            _note_failure(report, error)
        return []
    ranked = []
    for (report, _story), story_evidence in zip(failures, failing):
        try:
            suspects = rank(story_evidence, found, formula=options.formula, test_files=test_files)
            setattr(report, SUSPECTS_ATTRIBUTE, [suspect.to_dict() for suspect in suspects])
            ranked.append((report, suspects))
        except Exception as error:  # one test's trouble must not hide the others'
            if from_outside(error):
                raise
            _note_failure(report, error)
    return ranked


def retell_failures(
    config: pytest.Config,
    options: SuspectOptions,
    ranked: Iterable[tuple[pytest.TestReport, Sequence[Suspect]]],
) -> None:
    """Draw each ranked report's story section again, with its suspects (``retell``)."""
    for report, suspects in ranked:
        try:
            retell(config, report, suspects, full=options.full)
        except Exception as error:  # one test's trouble must not hide the others'
            if from_outside(error):
                raise
            _note_failure(report, error)


#: The JUnit XML property of a failing testcase's suspect of each rank: its line as the
#: report's section writes it.
JUNIT_PROPERTY = "chrono_suspect_{rank}"


def suspect_properties(suspects: Sequence[Suspect]) -> list[tuple[str, str]]:
    """The suspects as JUnit XML properties, best first: each as its line in the report."""
    from chrono.render import suspects_text

    lines = suspects_text(suspects).splitlines()
    return [
        (JUNIT_PROPERTY.format(rank=suspect.rank), line) for suspect, line in zip(suspects, lines)
    ]


def _note_failure(report: pytest.TestReport, error: Exception) -> None:
    """Say on the report that its suspects could not be ranked, and why (as the plugin says of
    a story it could not show)."""
    title = "chrono suspects (not ranked)"
    _pytest_sections.add_section(report, title, f"chrono failed: {error!r}")


def _evidence_of(
    passing: Sequence[dict[str, Any]],
    cached: Iterable[dict[str, Any]],
    names: list[str],
    sites: frozenset[tuple[str, int]],
) -> Iterator[Evidence]:
    """The passing stories' evidence at the failing stories' call sites; the cache's names
    added to ``names`` as they are read."""
    from chrono._suspects import evidence

    for story in passing:
        yield evidence(story["files"], story["events"], sites)
    for story in cached:
        names.append(str(story["name"]))
        yield evidence(story["files"], story["events"], sites)


def _test_files(config: pytest.Config, names: Iterable[str]) -> frozenset[str]:
    """The files that hold the tests named (test ids, relative to the root), as call sites
    name files."""
    root = str(config.rootpath)
    files = set()
    for name in names:
        relative = name.partition("::")[0]
        if relative:
            path = os.path.join(root, relative)
            files.update({path, os.path.realpath(path)})
    return frozenset(files)


def retell(
    config: pytest.Config, report: pytest.TestReport, suspects: Sequence[Suspect], *, full: bool
) -> None:
    """Draw the failing report's story section again: the suspects first, then the story with
    their events marked, cut to the budget unless ``full``."""
    drawn: dict[str, Any] | None = getattr(report, SECTION_ATTRIBUTE, None)
    if drawn is None or (full and not suspects):
        return
    from chrono._failure import EventMarks
    from chrono._story import Story
    from chrono._suspects import kept_around
    from chrono.render import coloured_story, story_text, suspects_text

    story = Story.from_dict(drawn["story"])
    marks = EventMarks(frozenset(drawn["marks"]), drawn["about"]) if drawn["marks"] else None
    ranks = {seq: suspect.rank for suspect in reversed(suspects) for seq in suspect.seqs}
    kept = None
    if not full:
        events = story.events
        other = _other_chrono_lines(report, drawn["title"])
        room = max(BUDGET_LINES - len(suspects) - _BESIDE_ROWS - other, 8)
        focus = [suspect.seq for suspect in suspects]
        if marks is not None:
            focus += sorted(marks.seqs)[-3:]
        positions = {event.seq: index for index, event in enumerate(events)}
        kept = set(
            kept_around(len(events), [positions[seq] for seq in focus if seq in positions], room)
        )
        if len(kept) == len(events) and not suspects:
            return  # nothing to add, nothing to cut: the section stays as it was drawn
    writer = config.get_terminal_writer()
    plain = story_text(story, writer.fullwidth, marks, ranks, kept)
    coloured = None
    if writer.hasmarkup:
        coloured = coloured_story(story, max(writer.fullwidth, 40), marks, ranks, kept)
    if suspects:
        plain = f"{suspects_text(suspects)}\n{plain}"
        if coloured is not None:
            coloured = f"{suspects_text(suspects, coloured=True)}\n{coloured}"
    _pytest_sections.replace_section(report, drawn["title"], plain, coloured)


def _other_chrono_lines(report: pytest.TestReport, title: str) -> int:
    """The lines of the report's other chrono sections (a divergence), which the budget counts."""
    sections = getattr(report.longrepr, "sections", None) or report.sections
    return sum(
        content.count("\n") + 1
        for name, content, *_ in sections
        if "chrono" in name and name != title
    )
