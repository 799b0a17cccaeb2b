"""chrono's sections on pytest's reports: plain text for every reader, colour for the terminal.

A section goes on the failure itself (``longrepr.addsection``) where it can: shown whatever
``--show-capture`` says, and carried into JUnit XML. Its plain text is what JUnit XML, pipes and
pytest-xdist's reports carry; a terminal with colour gets the coloured text instead, swapped in
once JUnit XML has taken the plain one (``use_coloured``).
"""

from __future__ import annotations

from typing import Any

import pytest

from chrono._errors import swallowed

#: The report attribute holding the coloured text of each of its chrono sections, by title.
COLOURED_ATTRIBUTE = "chrono_coloured"


def add_section(
    report: pytest.TestReport, title: str, plain: str, coloured: str | None = None
) -> None:
    """Put a section on the report: on the failure where there is one, else with the others."""
    longrepr: Any = report.longrepr
    if hasattr(longrepr, "addsection"):
        longrepr.addsection(title, plain)
    else:
        report.sections.append((title, plain))
    if coloured is not None:
        # A dict of plain strings: it crosses pytest-xdist's process boundary as it is.
        colours: dict[str, str] = getattr(report, COLOURED_ATTRIBUTE, None) or {}
        colours[title] = coloured
        setattr(report, COLOURED_ATTRIBUTE, colours)


def coloured_text(report: pytest.TestReport, title: str, plain: str) -> str:
    """The coloured text of the report's section ``title``, or ``plain`` when it has none."""
    colours: dict[str, str] = getattr(report, COLOURED_ATTRIBUTE, None) or {}
    return colours.get(title, plain)


def use_coloured(report: pytest.TestReport) -> None:
    """Show the report's sections on the failure in colour from now on."""
    colours: dict[str, str] | None = getattr(report, COLOURED_ATTRIBUTE, None)
    sections = getattr(report.longrepr, "sections", None)
    if not colours or sections is None:
        return
    for index, (name, content, separator) in enumerate(sections):
        sections[index] = (name, colours.get(name, content), separator)


def replace_section(
    report: pytest.TestReport, title: str, plain: str, coloured: str | None = None
) -> None:
    """Put new text in the report's section ``title``, drawn again once more is known (when
    the run ends: every report has been logged, and JUnit XML has the plain text): the
    coloured text where the terminal shows colour, else the plain one."""
    colours: dict[str, str] | None = getattr(report, COLOURED_ATTRIBUTE, None)
    if colours is not None and title in colours:
        if coloured is None:
            del colours[title]
        else:
            colours[title] = coloured
    elif coloured is not None:
        colours = colours or {}
        colours[title] = coloured
        setattr(report, COLOURED_ATTRIBUTE, colours)
    longrepr_sections = getattr(report.longrepr, "sections", None)
    if longrepr_sections is not None:
        for index, (name, _content, separator) in enumerate(longrepr_sections):
            if name == title:
                shown = coloured if coloured is not None else plain
                longrepr_sections[index] = (name, shown, separator)
                return
    for index, (name, _content) in enumerate(report.sections):
        if name == title:
            report.sections[index] = (name, plain)
            return


def remove_sections(report: pytest.TestReport, title_start: str) -> None:
    """Take the report's sections whose title starts with ``title_start`` off it (one drawn
    when the test failed, that the run's end has replaced), and their coloured text."""
    colours: dict[str, str] | None = getattr(report, COLOURED_ATTRIBUTE, None)
    if colours:
        for title in [title for title in colours if title.startswith(title_start)]:
            del colours[title]
    longrepr_sections = getattr(report.longrepr, "sections", None)
    if longrepr_sections is not None:
        longrepr_sections[:] = [
            section for section in longrepr_sections if not section[0].startswith(title_start)
        ]
    report.sections[:] = [
        section for section in report.sections if not section[0].startswith(title_start)
    ]


def add_junit_properties(
    config: pytest.Config, report: pytest.TestReport, properties: list[tuple[str, str]]
) -> None:
    """Add ``properties`` to the report's testcase in JUnit XML (``--junitxml``), when what
    they say is known only as the run ends: the testcase was written when the test ended, so
    its element, which JUnit XML writes to its file when the session finishes, is found by
    the names pytest gives it and added to. Nothing without ``--junitxml``."""
    try:
        _add_junit_properties(config, report, properties)
    except Exception as error:  # pytest's JUnit XML internals changed: the report goes on
        if not swallowed(error):
            raise


def _add_junit_properties(
    config: pytest.Config, report: pytest.TestReport, properties: list[tuple[str, str]]
) -> None:
    import xml.etree.ElementTree as ElementTree

    from _pytest import junitxml

    xml = config.stash.get(junitxml.xml_key, None)
    if xml is None or not properties:
        return
    names = junitxml.mangle_test_address(report.nodeid)
    classnames = names[:-1]
    if xml.prefix:
        classnames.insert(0, xml.prefix)
    classname, name = ".".join(classnames), junitxml.bin_xml_escape(names[-1])
    for reporter in xml.node_reporters_ordered:
        testcase = reporter.to_xml()
        if testcase.get("classname") != classname or testcase.get("name") != name:
            continue
        if testcase.find("failure") is None and testcase.find("error") is None:
            continue
        found = testcase.find("properties")
        if found is None:
            found = ElementTree.Element("properties")
            testcase.insert(0, found)
        for key, value in properties:
            ElementTree.SubElement(
                found, "property", name=key, value=junitxml.bin_xml_escape(value)
            )
