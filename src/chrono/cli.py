"""The ``chrono`` command: ``demo``, ``check`` and ``strip``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chrono import __version__


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chrono",
        description="Timeline-style print debugging.",
    )
    parser.add_argument("--version", action="version", version=f"chrono {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="run a bundled failing test and show its story",
        description="Run a bundled failing test through pytest and show its chrono story.",
    )
    demo.add_argument(
        "pytest_args",
        nargs="*",
        metavar="PYTEST_ARGUMENT",
        help="passed on to pytest, e.g. --chrono-html=story.html or --color=no",
    )

    check = commands.add_parser(
        "check",
        help="list leftover tp() calls (exit 1 if any)",
        description="List every leftover tp() call and chrono.install() as path:line:col: text.",
    )
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        dest="output_format",
        help="text (default) or github (workflow annotations)",
    )

    strip = commands.add_parser(
        "strip",
        help="remove leftover tp() calls, keeping the code's meaning",
        description="Remove tp() calls: y = tp(x) becomes y = x; tp(f()) keeps f().",
    )
    strip.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    strip.add_argument(
        "--diff", action="store_true", help="print a unified diff and change nothing"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``chrono`` command line; returns the process exit code."""
    parser = _build_parser()
    # The demo passes options it does not know (pytest's and the plugin's) on to pytest.
    arguments, unknown = parser.parse_known_args(argv)
    if arguments.command == "demo":
        from chrono._demo.run import run_demo

        pytest_arguments = [each for each in [*arguments.pytest_args, *unknown] if each != "--"]
        return run_demo(pytest_arguments)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if arguments.command == "check":
        from chrono._leftovers import run_check

        return run_check(arguments.paths, output_format=arguments.output_format, out=sys.stdout)
    from chrono._leftovers import run_strip

    return run_strip(arguments.paths, diff=arguments.diff, out=sys.stdout)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
