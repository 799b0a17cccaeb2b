"""chrono in IPython and Jupyter: ``%load_ext chrono``, then ``%%chrono`` and ``%chrono``.

- ``%%chrono [name]`` runs the cell as a story and shows it below the cell (HTML in a
  notebook, plain text in a terminal IPython); a cell that raises shows its story after
  IPython's traceback. Run again, the cell is compared with its previous run, and where the
  two diverged is shown under the story.
- ``%chrono on`` / ``%chrono off`` switch chrono for the session (``chrono.enable()`` and
  ``chrono.disable()``); ``%chrono live`` prints each event of a ``%%chrono`` cell as it happens
  too, and ``%chrono quiet`` stops that.
- ``%chrono at In[6]:4:x, y`` sets a logpoint (a cell or a file, as ``--chrono-at`` takes);
  ``%chrono at`` lists the session's, ``%chrono clear`` takes them away.

Nothing in chrono imports this module: IPython does, through ``chrono.load_ipython_extension``,
when ``%load_ext chrono`` runs (or ``c.InteractiveShellApp.extensions = ["chrono"]``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable

import chrono
from chrono._cells import cell_name
from chrono._compare import compare
from chrono._errors import swallowed
from chrono._events import Event
from chrono._story import Story
from chrono._values import counted

if TYPE_CHECKING:
    from chrono._logpoints import Logpoint

__all__ = ["load_ipython_extension", "unload_ipython_extension"]

#: What ``%chrono`` takes, for its usage line.
USAGE = (
    "%chrono on|off|live|quiet, %chrono at [In[n]:LINE[:EXPR,…]], %chrono clear"
    "   (and %%chrono [name] on a cell's first line)"
)


class _Session:
    """What the extension keeps for one shell: whether cells print live, the logpoints it
    set, and each cell's last story, to compare a run with."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.live = False
        #: The logpoints ``%chrono at`` set, in order.
        self.logpoints: list[Logpoint] = []
        #: The last story of each cell (by its name, or its notebook cell id, or its text),
        #: with the file its code ran under.
        self.previous: dict[str, tuple[Story, str | None]] = {}

    def magic(self, line: str, cell: str | None = None) -> None:
        """``%chrono`` and ``%%chrono``: one magic of both kinds."""
        if cell is None:
            self.switch(line.strip())
        else:
            # The magic's line is kept, as a comment, so that the cell's lines keep the numbers
            # the notebook shows, in the story and in IPython's traceback alike.
            self.run_as_story(line.strip() or None, f"# %%chrono {line.strip()}\n{cell}")

    def switch(self, line: str) -> None:
        """``%chrono [on|off|live|quiet|clear|at SPEC]``."""
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "at":
            self.at(rest)
            return
        if rest or word not in ("", "on", "off", "live", "quiet", "clear"):
            print(f"chrono: {line!r} is not understood: {USAGE}", file=sys.stderr)
            return
        if word == "clear":
            self.clear()
            return
        if word == "on":
            chrono.enable()
        elif word == "off":
            chrono.disable()
        elif word:
            self.live = word == "live"
        state = "on" if chrono.is_enabled() else "off"
        print(f"chrono is {state}" + (", live" if self.live else ""))

    def at(self, spec: str) -> None:
        """``%chrono at In[6]:4:x, y``: a logpoint, as ``--chrono-at`` sets one; alone, the
        session's logpoints and how often each ran."""
        from chrono import _logpoints

        if not spec:
            for logpoint in self.logpoints:
                print(f"{logpoint.spec}  ran {counted(logpoint.hits, 'time')}")
            return
        try:
            logpoint = _logpoints.parse_spec(spec)
        except _logpoints.LogpointError as error:
            print(f"chrono: {error}", file=sys.stderr)
            return
        if not chrono.is_enabled():
            print("chrono is off: no logpoint is set (%chrono on)", file=sys.stderr)
            return
        _logpoints.add([logpoint])
        self.logpoints.append(logpoint)
        print(f"chrono: logpoint {logpoint.spec}")

    def clear(self) -> None:
        """``%chrono clear``: the session's logpoints taken away."""
        from chrono import _logpoints

        _logpoints.remove(self.logpoints)
        print(f"chrono: {counted(len(self.logpoints), 'logpoint')} taken away")
        self.logpoints.clear()

    def run_as_story(self, name: str | None, cell: str) -> None:
        shell = self.shell
        if not chrono.is_enabled():
            shell.run_cell(cell, store_history=False)
            return
        number = _running_cell_number(shell)
        story = Story(
            name or f"In[{number}]",
            echo=_print_live if self.live else None,
            attach_to_exceptions=False,
        )
        story.start()
        # The cell's code is compiled under the running cell's number (IPython 9 counts the
        # next cell's while one runs; IPython 8 the running one's).
        shell_count = shell.execution_count
        shell.execution_count = number
        # The story ends where the cell's code does: before IPython formats its traceback,
        # which can take longer than the cell ran.
        shown_by = vars(shell).get("showtraceback")
        shell.showtraceback = _stopping_first(story, shell.showtraceback)
        try:
            shell.run_cell(cell, store_history=False)
        finally:
            if shown_by is None:
                del shell.showtraceback  # the shell's own method again
            else:
                shell.showtraceback = shown_by
            shell.execution_count = shell_count
            story.stop()
        file = _cell_file(shell, cell, number)
        key = name or _cell_id(shell) or cell
        before = self.previous.get(key)
        self.previous[key] = (story, file)
        # A story of nothing adds nothing below the cell (as a test's adds no section).
        if len(story) or story.dropped:
            _show(story)
        if before is not None and (len(story) or len(before[0])):
            divergence = compare(
                _as_if_run_from(before[0], before[1], file),
                story,
                names=("the previous run", "this run"),
            )
            if not divergence.same:
                _show(divergence)


def _stopping_first(story: Story, show: Callable[..., Any]) -> Callable[..., Any]:
    """``show``, which stops ``story`` before it shows anything."""

    def stop_then_show(*arguments: Any, **keywords: Any) -> Any:
        story.stop()
        return show(*arguments, **keywords)

    return stop_then_show


def _running_cell_number(shell: Any) -> int:
    """The execution count of the cell running the magic: the count IPython compiled the
    nearest cell's code on the stack under, else the shell's count."""
    numbers = getattr(shell.compile, "_filename_map", {})
    frame = sys._getframe(1)
    while frame is not None:
        number = numbers.get(frame.f_code.co_filename)
        if isinstance(number, int):
            return number
        frame = frame.f_back  # type: ignore[assignment]
    count: int = shell.execution_count
    return count


def _print_live(event: Event) -> None:
    from chrono.render import live_line

    print(live_line(event), flush=True)


def _show(shown: object) -> None:
    from IPython.display import display

    display(shown)  # type: ignore[no-untyped-call]


def _cell_file(shell: Any, cell: str, number: int) -> str | None:
    """The file the shell compiled ``cell`` under, when it ran as cell ``number``."""
    try:
        transformed = shell.transform_cell(cell)
        file = shell.compile.get_code_name(cell, transformed, number)
    except Exception as error:
        # An IPython without these methods: the cell's runs are compared as they are.
        if not swallowed(error):
            raise
        return None
    return file if isinstance(file, str) and cell_name(file) is not None else None


def _cell_id(shell: Any) -> str | None:
    """The notebook's id of the cell running (JupyterLab and Notebook 7 send it), if any."""
    parent = getattr(shell, "parent_header", None) or {}
    metadata = parent.get("metadata") if isinstance(parent, dict) else None
    cell_id = metadata.get("cellId") if isinstance(metadata, dict) else None
    return cell_id if isinstance(cell_id, str) else None


def _as_if_run_from(story: Story, file: str | None, now: str | None) -> Story:
    """``story`` with the events of its cell's own code moved to the file the cell runs under
    now: an edited cell is compiled under another file, and the comparison reads sites by
    their file."""
    if file is None or now is None or file == now:
        return story
    data = story.to_dict()
    for event in data["events"]:
        if event["file"] == file:
            event["file"] = now
    return Story.from_dict(data)


_sessions: dict[int, _Session] = {}


def load_ipython_extension(shell: Any) -> None:
    """Register ``%chrono`` and ``%%chrono`` with ``shell`` (``%load_ext chrono``)."""
    session = _sessions.get(id(shell))
    if session is None:
        session = _sessions[id(shell)] = _Session(shell)
    shell.register_magic_function(session.magic, magic_kind="line_cell", magic_name="chrono")


def unload_ipython_extension(shell: Any) -> None:
    """Take ``%chrono`` and ``%%chrono`` away again, and the logpoints ``%chrono at`` set
    (``%unload_ext chrono``)."""
    session = _sessions.pop(id(shell), None)
    if session is not None and session.logpoints:
        from chrono import _logpoints

        _logpoints.remove(session.logpoints)
    magics = shell.magics_manager.magics
    for kind in ("line", "cell"):
        magics[kind].pop("chrono", None)
