"""Stories as files: the chrono.story/2 JSON and its schema, Chrome traces, and the pytest options
that write them for failing tests (in-process, in a subprocess and under pytest-xdist)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chrono
from chrono import tp
from chrono._events import Event
from chrono._own_time import ProgramClock
from chrono.export import (
    STORY_SCHEMA,
    StoryFiles,
    story_file_stem,
    story_schema,
    story_to_chrome_trace,
)
from helpers import import_source, large_module_source, strict_chrono

pytest_plugins = ["pytester"]


def validate(data: object) -> None:
    """Raise unless ``data`` is a valid chrono.story/2 document."""
    jsonschema.Draft202012Validator(story_schema()).validate(data)


def large_module_story(directory: Path) -> chrono.Story:
    """A story of two back-to-back tp calls in a 4,500-line module, each a new call site."""
    ledger = import_source(directory, "ledger", large_module_source()).Ledger()
    with chrono.story("large module") as story:
        ledger.back_to_back()
    return story


def threaded_story() -> chrono.Story:
    """A story with events from the main thread, a worker thread, an asyncio task and logging."""
    with chrono.story("threads and tasks") as story:
        answer = 42
        tp(answer)

        def work() -> None:
            tp("in the worker")

        worker = threading.Thread(target=work, name="worker-1")
        worker.start()
        worker.join()

        async def fetch() -> None:
            tp("in the task", answer)

        async def main() -> None:
            await asyncio.create_task(fetch(), name="fetcher")

        asyncio.run(main())
        logging.getLogger("app.db").warning("slow query: %s ms", 1200)
    return story


class TestStoryToDict:
    def test_holds_every_field_of_every_event(self) -> None:
        """Each event in to_dict() has exactly Event's fields, with its items as pairs."""
        story = threaded_story()
        data = story.to_dict()
        assert [event["seq"] for event in data["events"]] == [e.seq for e in story.events]
        for raw, event in zip(data["events"], story.events):
            assert list(raw) == list(Event._fields)
            assert raw["items"] == [list(item) for item in event.items]
            assert {k: v for k, v in raw.items() if k != "items"} == {
                k: v for k, v in event._asdict().items() if k != "items"
            }

    def test_validates_against_the_shipped_schema(self) -> None:
        """A story from threads, a task and logging is a valid chrono.story/2 document."""
        data = threaded_story().to_dict()
        assert data["schema"] == STORY_SCHEMA == "chrono.story/2"
        validate(data)

    def test_to_json_is_the_same_data(self) -> None:
        """to_json() is to_dict() as JSON, with non-ASCII text kept as it is."""
        with chrono.story("ünïcode") as story:
            word = "café ☕"
            tp(word)
        text = story.to_json()
        assert "café ☕" in text
        assert json.loads(text) == story.to_dict()
        assert json.loads(story.to_json(indent=2)) == story.to_dict()

    def test_says_where_the_dropped_events_fell(self) -> None:
        """dropped counts the discarded events and dropped_at is the index of the gap."""
        with chrono.story(max_events=10) as story:
            for number in range(25):
                tp(number)
        data = story.to_dict()
        assert data["dropped"] == 15
        assert data["dropped_at"] == 2
        assert [event["items"][0][1] for event in data["events"][1:3]] == ["1", "17"]
        validate(data)

    def test_keeps_the_true_clock_and_chronos_own_spans(self, tmp_path: Path) -> None:
        """Events keep the true monotonic clock; chrono_spans holds chrono's own work inside
        the story, in order and not overlapping, which the shown times leave out."""
        story = large_module_story(tmp_path)
        data = story.to_dict()
        validate(data)
        assert [event["monotonic_ns"] for event in data["events"]] == [
            event.monotonic_ns for event in story.events
        ]
        spans = data["chrono_spans"]
        assert spans
        bounds = [bound for span in spans for bound in span]
        assert bounds == sorted(bounds)
        assert data["started_ns"] <= bounds[0]
        assert bounds[-1] <= data["ended_ns"]
        assert sum(end - start for start, end in spans) >= 1_000_000
        first, second = data["events"]
        assert any(first["monotonic_ns"] <= start < second["monotonic_ns"] for start, _ in spans)

    def test_secrets_are_already_masked(self) -> None:
        """A password argument is <masked> in the data, and its value appears nowhere."""
        with chrono.story() as story:
            password = "hunter2"
            tp(password)
        assert story.to_dict()["events"][0]["items"] == [["password", "<masked>"]]
        assert "hunter2" not in story.to_json()


class TestStoryFromDict:
    def test_round_trip_tells_the_same_story(self) -> None:
        """from_dict(to_dict()) renders the same text and gives the same data back."""
        story = threaded_story()
        again = chrono.Story.from_dict(json.loads(story.to_json()))
        assert again.text() == story.text()
        assert again.to_dict() == story.to_dict()
        assert not again.active

    def test_round_trip_keeps_the_dropped_marker_in_place(self) -> None:
        """A bounded story comes back with the same dropped count and the gap in the same place."""
        with chrono.story(max_events=10) as story:
            for number in range(25):
                tp(number)
        again = chrono.Story.from_dict(story.to_dict())
        assert again.dropped == 15
        assert again.parts()[0] == story.parts()[0]
        assert "15 events dropped here" in again.text()

    def test_round_trip_shows_the_same_program_times(self, tmp_path: Path) -> None:
        """A story read back from JSON leaves chrono's own spans out of its times, as before."""
        story = large_module_story(tmp_path)
        again = chrono.Story.from_dict(json.loads(story.to_json()))
        assert again.chrono_spans == story.chrono_spans
        assert again.text() == story.text()
        assert "are not counted in these times" in again.text()

    def test_data_without_spans_shows_the_true_clock(self) -> None:
        """An older file, without chrono_spans, shows the events' own clock."""
        data = threaded_story().to_dict()
        del data["chrono_spans"]
        again = chrono.Story.from_dict(data)
        assert again.chrono_spans == []
        assert "not counted" not in again.text()

    def test_rejects_another_schema(self) -> None:
        """Data that does not say chrono.story/2 (or /1) is refused with a message naming the
        schema."""
        with pytest.raises(ValueError, match=r"chrono\.story/2"):
            chrono.Story.from_dict({"schema": "chrono.story/3", "events": []})

    def test_reads_version_1(self) -> None:
        """A version 1 document (version 2 only added keys) is read as it was."""
        data = threaded_story().to_dict()
        data["schema"] = "chrono.story/1"
        assert chrono.Story.from_dict(data).to_dict() == {**data, "schema": "chrono.story/2"}

    def test_ignores_keys_it_does_not_know(self) -> None:
        """The pytest plugin's test object, and unknown keys on events, do not get in the way."""
        data = threaded_story().to_dict()
        data["test"] = {"id": "t.py::test", "outcome": "failed", "phases": []}
        data["events"][0]["future_field"] = 1
        assert chrono.Story.from_dict(data).events[0].seq == data["events"][0]["seq"]

    @settings(max_examples=60, deadline=None)
    @given(
        values=st.lists(st.text(max_size=20), max_size=40),
        max_events=st.integers(min_value=1, max_value=30),
    )
    def test_round_trip_of_any_bounded_story(self, values: list[str], max_events: int) -> None:
        """Whatever was recorded and however much the bound dropped, the data survives intact."""
        with strict_chrono(), chrono.story("any", max_events=max_events) as story:
            for value in values:
                tp(value)
        data = story.to_dict()
        validate(data)
        assert chrono.Story.from_dict(json.loads(json.dumps(data))).to_dict() == data


class TestStorySchema:
    def test_is_a_valid_json_schema(self) -> None:
        """The shipped schema is itself valid JSON Schema (draft 2020-12)."""
        jsonschema.Draft202012Validator.check_schema(story_schema())

    def test_ships_inside_the_package(self) -> None:
        """The schema is a file in the installed package, where readers can find it."""
        path = Path(chrono.__file__).parent / "schema" / "story-2.json"
        assert json.loads(path.read_text(encoding="utf-8")) == story_schema()

    def test_refuses_an_event_missing_a_field(self) -> None:
        """An event without thread_id is not a valid chrono.story/2 event."""
        data = threaded_story().to_dict()
        del data["events"][0]["thread_id"]
        with pytest.raises(jsonschema.ValidationError, match="thread_id"):
            validate(data)

    def test_refuses_an_item_that_is_not_a_pair(self) -> None:
        """Items are [text, repr] pairs, nothing more."""
        data = threaded_story().to_dict()
        data["events"][0]["items"] = [["x", "1", "extra"]]
        with pytest.raises(jsonschema.ValidationError):
            validate(data)


class TestStoryToChromeTrace:
    @pytest.fixture
    def trace(self) -> dict[str, Any]:
        return story_to_chrome_trace(threaded_story())

    def test_is_trace_event_json(self, trace: dict[str, Any]) -> None:
        """The trace is a JSON object whose traceEvents all carry ph, ts/pid/tid and a name."""
        trace = json.loads(json.dumps(trace))
        assert trace["displayTimeUnit"] == "ms"
        for event in trace["traceEvents"]:
            assert isinstance(event["name"], str)
            assert event["ph"] in {"M", "i", "X"}
            assert isinstance(event["pid"], int)
            assert isinstance(event["tid"], int)
            if event["ph"] != "M":
                assert isinstance(event["ts"], (int, float))
                assert event["ts"] >= 0

    def test_names_a_track_per_thread_and_per_task(self, trace: dict[str, Any]) -> None:
        """thread_name metadata names the main thread, the worker and the asyncio task."""
        names = {
            event["tid"]: event["args"]["name"]
            for event in trace["traceEvents"]
            if event["ph"] == "M" and event["name"] == "thread_name"
        }
        assert sorted(names.values()) == sorted(
            ["story", "MainThread", "worker-1", "MainThread / fetcher"]
        )
        assert len(set(names)) == len(names)
        instants = [event for event in trace["traceEvents"] if event["ph"] == "i"]
        assert {names[event["tid"]] for event in instants} == {
            "MainThread",
            "worker-1",
            "MainThread / fetcher",
        }

    def test_each_tp_call_is_an_instant_event_with_its_items_as_args(
        self, trace: dict[str, Any]
    ) -> None:
        """A tp call becomes a thread-scoped instant event; its items are its args."""
        first = next(event for event in trace["traceEvents"] if event.get("cat") == "tp")
        assert first["ph"] == "i"
        assert first["s"] == "t"
        assert first["name"] == "answer=42"
        assert first["args"]["answer"] == "42"
        assert first["args"]["site"].endswith("in threaded_story")
        labelled = [e for e in trace["traceEvents"] if e.get("args", {}).get("label")]
        assert [e["name"] for e in labelled] == ["in the worker", "in the task  answer=42"]

    def test_log_records_are_instant_events_in_the_log_category(
        self, trace: dict[str, Any]
    ) -> None:
        """A log record is an instant event of category log, with its level and message."""
        (record,) = [event for event in trace["traceEvents"] if event.get("cat") == "log"]
        assert record["ph"] == "i"
        assert record["args"]["level"] == "WARNING"
        assert record["args"]["logger"] == "app.db"
        assert record["args"]["message"] == "slow query: 1200 ms"

    def test_timestamps_are_microseconds_since_the_story_began(self) -> None:
        """ts is the story's shown time of each event in microseconds, in order of the events."""
        story = threaded_story()
        trace = story_to_chrome_trace(story.to_dict())
        instants = [event for event in trace["traceEvents"] if event["ph"] == "i"]
        clock = ProgramClock(story.started_ns, story.chrono_spans)
        expected = [clock.elapsed(e.monotonic_ns) / 1000 for e in story.events]
        assert [event["ts"] for event in instants] == pytest.approx(expected, abs=0.001)
        (span,) = [event for event in trace["traceEvents"] if event["ph"] == "X"]
        assert story.ended_ns is not None
        assert span["dur"] == pytest.approx(clock.elapsed(story.ended_ns) / 1000, abs=0.001)

    def test_chronos_own_time_is_left_out(self, tmp_path: Path) -> None:
        """Back-to-back tp calls in a large module, each reading the source: the trace takes
        chrono's own time out of the gap between them and out of the story's slice, and the
        slice says how much it took out. (Asserted against the story's own clock readings, not
        a duration: a busy machine stretches both.)"""
        story = large_module_story(tmp_path)
        trace = story_to_chrome_trace(story.to_dict())
        first, second = (event for event in trace["traceEvents"] if event["ph"] == "i")
        recorded_first, recorded_second = story.events
        recorded_gap = (recorded_second.monotonic_ns - recorded_first.monotonic_ns) / 1000
        assert 0 <= second["ts"] - first["ts"] < recorded_gap
        (span,) = [event for event in trace["traceEvents"] if event["ph"] == "X"]
        own = span["args"]["chrono_own_us"]
        assert own >= 1000  # reading a 4,500-line module's source, twice
        assert story.ended_ns is not None
        recorded = (story.ended_ns - story.started_ns) / 1000
        assert span["dur"] == pytest.approx(recorded - own, abs=0.01)

    def test_marks_where_events_were_dropped(self) -> None:
        """A bounded story's trace has one marker saying how many events were dropped."""
        with chrono.story(max_events=10) as story:
            for number in range(25):
                tp(number)
        trace = story_to_chrome_trace(story)
        markers = [event for event in trace["traceEvents"] if event.get("cat") == "chrono"]
        assert [marker["args"]["dropped"] for marker in markers] == [15]

    def test_repeated_argument_texts_keep_every_value(self) -> None:
        """tp(x, x) and an argument written seq keep all their values as distinct args."""
        with chrono.story() as story:
            x, seq = 1, 2
            tp(x, x, seq)
        (instant,) = [e for e in story_to_chrome_trace(story)["traceEvents"] if e["ph"] == "i"]
        assert instant["args"]["x"] == instant["args"]["x (2)"] == "1"
        assert instant["args"]["seq (2)"] == "2"


class TestStoryFileStem:
    def test_is_readable_and_safe_as_a_file_name(self) -> None:
        """A node id becomes a name of letters, digits, dots, dashes and underscores."""
        stem = story_file_stem("tests/test_a.py::TestX::test_y[a/b <c>]")
        assert stem.startswith("tests_test_a.py__TestX__test_y_a_b_c")
        assert set(stem) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")

    def test_differs_for_ids_that_read_alike(self) -> None:
        """Two ids that differ only in punctuation still get different file names."""
        assert story_file_stem("t.py::test[a/b]") != story_file_stem("t.py::test[a_b]")

    def test_stays_short_for_a_long_id(self) -> None:
        """A very long parametrized id still makes a file name well under common limits."""
        assert len(story_file_stem("t.py::test[" + "x" * 1000 + "]")) <= 120


class TestStoryFiles:
    def test_writes_json_and_trace_files_as_stories_arrive(self, tmp_path: Path) -> None:
        """add() writes the story's JSON and trace at once; nothing partial is left behind."""
        files = StoryFiles(json_directory=tmp_path / "json", trace_directory=tmp_path / "trace")
        data = {
            **threaded_story().to_dict(),
            "test": {"id": "t.py::test_a", "outcome": "failed", "phases": [], "message": None},
        }
        files.add(data)
        (written,) = (tmp_path / "json").iterdir()
        assert written.name == story_file_stem("t.py::test_a") + ".json"
        assert json.loads(written.read_text(encoding="utf-8")) == data
        (trace,) = (tmp_path / "trace").iterdir()
        assert trace.name.endswith(".trace.json")
        assert "traceEvents" in json.loads(trace.read_text(encoding="utf-8"))

    def test_makes_no_directory_without_a_story(self, tmp_path: Path) -> None:
        """A run without failures leaves no empty directories, and says so."""
        files = StoryFiles(json_directory=tmp_path / "json", html_file=tmp_path / "r.html")
        files.finish()
        assert not (tmp_path / "json").exists()
        assert (tmp_path / "r.html").is_file()
        assert files.summary()[0] == f"chrono: no story to write as JSON in {tmp_path / 'json'}"


FAILING_TESTS = """
    import logging
    import pytest
    from chrono import tp

    def test_passes():
        tp("fine")

    def test_fails():
        password = "hunter2"
        total = 41
        tp(password, total)
        logging.getLogger("app").warning("about to fail")
        assert total == 42

    @pytest.fixture
    def broken():
        tp("setting up")
        raise RuntimeError("setup broke")

    def test_setup_errors(broken):
        pass

    @pytest.fixture
    def noisy_teardown():
        yield
        tp("tearing down")

    def test_fails_then_tears_down(noisy_teardown):
        tp("calling")
        assert False, "call failed"
"""

FAILING_IDS = {
    "test_exported_stories.py::test_fails",
    "test_exported_stories.py::test_setup_errors",
    "test_exported_stories.py::test_fails_then_tears_down",
}


def read_stories(directory: Path) -> dict[str, dict[str, Any]]:
    """The JSON stories in ``directory``, by test id, each validated against the schema."""
    stories = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        validate(data)
        assert path.name == story_file_stem(data["test"]["id"]) + ".json"
        stories[data["test"]["id"]] = data
    return stories


@pytest.fixture
def failing_tests(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CHRONO", raising=False)
    pytester.makepyfile(test_exported_stories=FAILING_TESTS)
    return pytester


class TestJsonOption:
    def test_one_file_per_failing_test_and_none_for_passing_ones(
        self, failing_tests: pytest.Pytester
    ) -> None:
        """--chrono-json writes a valid story file for each failing test, nothing else."""
        result = failing_tests.runpytest("--chrono-json=stories")
        result.assert_outcomes(passed=1, failed=2, errors=1)
        stories = read_stories(failing_tests.path / "stories")
        assert set(stories) == FAILING_IDS
        result.stdout.fnmatch_lines(["*chrono: 3 stories as JSON in *stories*"])

    def test_records_outcome_phases_message_and_events(
        self, failing_tests: pytest.Pytester
    ) -> None:
        """A failing test's file names the test, its phases, the failure and what tp recorded."""
        failing_tests.runpytest("--chrono-json=stories")
        story = read_stories(failing_tests.path / "stories")["test_exported_stories.py::test_fails"]
        assert story["name"] == "test_exported_stories.py::test_fails"
        assert story["test"]["outcome"] == "failed"
        assert story["test"]["phases"] == [
            {"when": "setup", "outcome": "passed"},
            {"when": "call", "outcome": "failed"},
            {"when": "teardown", "outcome": "passed"},
        ]
        assert "assert 41 == 42" in story["test"]["message"]
        tp_event, log_event = story["events"]
        assert tp_event["items"] == [["password", "<masked>"], ["total", "41"]]
        assert log_event["kind"] == "log"
        assert log_event["items"] == [["app", "about to fail"]]
        assert log_event["monotonic_ns"] >= tp_event["monotonic_ns"] >= story["started_ns"]
        assert story["ended_ns"] is None  # the test's story was still collecting

    def test_message_is_plain_text_under_color(self, failing_tests: pytest.Pytester) -> None:
        """pytest --color=yes colours assertion diffs; the message in the file has no escapes."""
        failing_tests.makepyfile(
            # A story with no events gets no file: the test records one.
            test_exported_diff=(
                "from chrono import tp\n\n"
                "def test_lists():\n    tp('comparing')\n    assert [1, 2] == [1, 3]\n"
            )
        )
        failing_tests.runpytest("--color=yes", "--chrono-json=stories", "test_exported_diff.py")
        (story,) = read_stories(failing_tests.path / "stories").values()
        assert "\x1b" not in story["test"]["message"]
        assert "At index 1 diff: 2 != 3" in story["test"]["message"]

    def test_setup_error_and_teardown_events(self, failing_tests: pytest.Pytester) -> None:
        """A setup error's outcome is error; a failing test's file includes teardown's events."""
        failing_tests.runpytest("--chrono-json=stories")
        stories = read_stories(failing_tests.path / "stories")
        setup = stories["test_exported_stories.py::test_setup_errors"]
        assert setup["test"]["outcome"] == "error"
        assert setup["test"]["phases"][0] == {"when": "setup", "outcome": "failed"}
        assert "RuntimeError: setup broke" in setup["test"]["message"]
        teardown = stories["test_exported_stories.py::test_fails_then_tears_down"]
        assert [event["label"] for event in teardown["events"]] == ["calling", "tearing down"]

    def test_ini_twin_is_relative_to_the_ini_file(
        self, failing_tests: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """chrono_json names a directory beside the ini file, wherever pytest runs."""
        failing_tests.makeini("[pytest]\nchrono_json = kept/stories\n")
        elsewhere = failing_tests.mkdir("elsewhere")
        monkeypatch.chdir(elsewhere)
        failing_tests.runpytest(str(failing_tests.path))
        assert set(read_stories(failing_tests.path / "kept" / "stories")) == FAILING_IDS
        assert not (elsewhere / "kept").exists()

    def test_stories_are_kept_even_when_never_shown(self, failing_tests: pytest.Pytester) -> None:
        """--chrono-show=never hides the stories from the report but still writes them."""
        result = failing_tests.runpytest("--chrono-show=never", "--chrono-json=stories")
        assert "chrono story" not in result.stdout.str()
        assert set(read_stories(failing_tests.path / "stories")) == FAILING_IDS

    def test_nothing_is_written_when_chrono_is_off(
        self, failing_tests: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With CHRONO=off there are no stories, so no files."""
        monkeypatch.setenv("CHRONO", "off")
        failing_tests.runpytest_subprocess("--chrono-json=stories")
        assert not (failing_tests.path / "stories").exists()

    @pytest.mark.parametrize("value", ["off", "0"])
    def test_chrono_off_is_said_in_one_line_and_on_the_page(
        self, failing_tests: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, value: str
    ) -> None:
        """Exports asked for while chrono is off: the terminal summary says so in one line,
        and the HTML page, empty, says chrono was off rather than that nothing failed."""
        monkeypatch.setenv("CHRONO", value)
        result = failing_tests.runpytest_subprocess(
            "--chrono-json=stories", "--chrono-trace=traces", "--chrono-html=report.html"
        )
        result.assert_outcomes(passed=1, failed=2, errors=1)
        said = [line for line in result.outlines if line.startswith("- chrono")]
        page_file = failing_tests.path / "report.html"
        assert said == [
            f"- chrono is off (CHRONO={value}): no story recorded; no JSON or trace file written;"
            f" the HTML page {page_file} says why it is empty -"
        ]
        page = page_file.read_text(encoding="utf-8")
        data = json.loads(page.split('id="chrono-data">', 1)[1].split("</script>", 1)[0])
        assert data["stories"] == []
        assert data["empty"].startswith(f"chrono was off (CHRONO={value}) while these tests ran")
        assert not (failing_tests.path / "stories").exists()
        assert not (failing_tests.path / "traces").exists()

    def test_an_empty_page_with_chrono_on_says_no_test_failed(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With chrono on and nothing failing, the page carries no reason of its own (its
        script says no test failed) and the summary line counts 0 stories."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile("def test_passes():\n    pass\n")
        result = pytester.runpytest_subprocess("--chrono-html=report.html")
        page = (pytester.path / "report.html").read_text(encoding="utf-8")
        assert "empty" not in json.loads(
            page.split('id="chrono-data">', 1)[1].split("</script>")[0]
        )
        assert "chrono: 0 stories in the HTML page" in result.stdout.str()

    def test_in_a_subprocess(self, failing_tests: pytest.Pytester) -> None:
        """A pytest started as its own process writes the same files."""
        result = failing_tests.runpytest_subprocess("--chrono-json=stories")
        result.assert_outcomes(passed=1, failed=2, errors=1)
        assert set(read_stories(failing_tests.path / "stories")) == FAILING_IDS

    def test_under_xdist(self, failing_tests: pytest.Pytester) -> None:
        """With -n 2 the workers send the stories and the controller writes one file per test."""
        result = failing_tests.runpytest_subprocess(
            "-n", "2", "--chrono-json=stories", "--chrono-trace=traces"
        )
        result.assert_outcomes(passed=1, failed=2, errors=1)
        stories = read_stories(failing_tests.path / "stories")
        assert set(stories) == FAILING_IDS
        assert stories["test_exported_stories.py::test_fails"]["events"][0]["items"][0] == [
            "password",
            "<masked>",
        ]
        assert len(list((failing_tests.path / "traces").glob("*.trace.json"))) == 3


PASSING_ID = "test_exported_stories.py::test_passes"


class TestPassingStories:
    """--chrono-export-passing (ini chrono_export_passing), or --chrono-show=all, writes
    passing tests' stories beside the failing ones: the other side of ``chrono compare``."""

    def test_the_option_writes_a_passing_tests_story_too(
        self, failing_tests: pytest.Pytester
    ) -> None:
        """With --chrono-export-passing the passing test gets a file, its outcome passed."""
        result = failing_tests.runpytest("--chrono-json=stories", "--chrono-export-passing")
        result.assert_outcomes(passed=1, failed=2, errors=1)
        stories = read_stories(failing_tests.path / "stories")
        assert set(stories) == {*FAILING_IDS, PASSING_ID}
        passing = stories[PASSING_ID]["test"]
        assert passing["outcome"] == "passed"
        assert passing["message"] is None
        assert {phase["outcome"] for phase in passing["phases"]} == {"passed"}
        assert [event["label"] for event in stories[PASSING_ID]["events"]] == ["fine"]
        result.stdout.fnmatch_lines(["*chrono: 4 stories as JSON in *stories*"])

    def test_show_all_writes_passing_stories_too(self, failing_tests: pytest.Pytester) -> None:
        """--chrono-show=all with --chrono-json keeps every story it shows."""
        failing_tests.runpytest("--chrono-show=all", "--chrono-json=stories")
        assert PASSING_ID in read_stories(failing_tests.path / "stories")

    def test_the_ini_twin_writes_them(self, failing_tests: pytest.Pytester) -> None:
        """chrono_export_passing = true in the ini file does what the option does."""
        failing_tests.makeini("[pytest]\nchrono_export_passing = true\n")
        failing_tests.runpytest("--chrono-json=stories")
        assert PASSING_ID in read_stories(failing_tests.path / "stories")

    def test_skipped_and_xfailed_tests_get_no_file(self, pytester: pytest.Pytester) -> None:
        """Only a test whose every phase passed counts as passing: skipped and xfailed do not."""
        pytester.makepyfile(
            test_outcomes="""
            import pytest
            from chrono import tp

            def test_skips():
                tp("before the skip")
                pytest.skip("not today")

            @pytest.mark.xfail
            def test_expected_to_fail():
                tp("before the failure")
                assert False
            """
        )
        result = pytester.runpytest("--chrono-json=stories", "--chrono-export-passing")
        result.assert_outcomes(skipped=1, xfailed=1)
        assert not (pytester.path / "stories").exists()

    def test_the_html_page_holds_them_and_says_so(self, failing_tests: pytest.Pytester) -> None:
        """The page holds the passing story beside the failing ones, its title says tests,
        not failing tests."""
        failing_tests.runpytest("--chrono-html=report.html", "--chrono-export-passing")
        page = (failing_tests.path / "report.html").read_text(encoding="utf-8")
        block = page.split('id="chrono-data">', 1)[1].split("</script>", 1)[0]
        data = json.loads(block)
        outcomes = sorted(story["test"]["outcome"] for story in data["stories"])
        assert outcomes == ["error", "failed", "failed", "passed"]
        assert data["title"].startswith("chrono: stories of tests in ")

    def test_a_flaky_tests_file_is_still_its_failing_attempt(
        self, pytester: pytest.Pytester
    ) -> None:
        """A test that failed, then passed on a rerun, keeps the file of its failing attempt
        (outcome flaky): its passing rerun does not replace it."""
        pytester.makepyfile(
            test_flaky_export="""
            import pytest
            from chrono import tp

            ATTEMPTS = []

            @pytest.mark.flaky(reruns=1)
            def test_flaky():
                ATTEMPTS.append(1)
                tp(attempt=len(ATTEMPTS))
                assert len(ATTEMPTS) > 1
            """
        )
        result = pytester.runpytest(
            "-p", "rerunfailures", "--chrono-json=stories", "--chrono-export-passing"
        )
        assert result.parseoutcomes() == {"passed": 1, "rerun": 1}
        (story,) = read_stories(pytester.path / "stories").values()
        assert story["test"]["outcome"] == "flaky"
        assert [event["items"] for event in story["events"]] == [[["attempt", "1"]]]

    def test_under_xdist_the_controller_writes_them(self, failing_tests: pytest.Pytester) -> None:
        """With -n 2 a passing story crosses to the controller as a failing one does."""
        result = failing_tests.runpytest_subprocess(
            "-n", "2", "--chrono-json=stories", "--chrono-export-passing"
        )
        result.assert_outcomes(passed=1, failed=2, errors=1)
        assert set(read_stories(failing_tests.path / "stories")) == {*FAILING_IDS, PASSING_ID}

    def test_chrono_compare_reads_the_two_files(self, pytester: pytest.Pytester) -> None:
        """The failing and the passing case's files compare on the command line: exit 1, the
        two cases named, the differing value shown."""
        pytester.makepyfile(
            test_prices="""
            import pytest
            from chrono import tp

            @pytest.mark.parametrize("price", [20, 120])
            def test_total(price):
                tp(price)
                total = price * 9 // 10 if price >= 100 else price
                tp(total)
                assert total == price
            """
        )
        pytester.runpytest("--chrono-json=stories", "--chrono-export-passing")
        files = {
            story["test"]["id"].rpartition("[")[2].rstrip("]"): path
            for path, story in (
                (path, json.loads(path.read_text(encoding="utf-8")))
                for path in (pytester.path / "stories").glob("*.json")
            )
        }
        assert set(files) == {"20", "120"}
        result = pytester.run(
            sys.executable,
            "-m",
            "chrono",
            "compare",
            str(files["120"]),
            str(files["20"]),
        )
        assert result.ret == 1
        # Named as the plugin names them: as much of the ids as tells them apart.
        assert result.stdout.lines[0].startswith("[120] and [20] differ from their first event")
        result.stdout.fnmatch_lines(["*price=120*│*price=20*"])


SECRET_IN_THE_FAILURE = """
    from dataclasses import dataclass
    from chrono import tp

    @dataclass
    class Client:
        api_key: str
        region: str

    def test_client():
        client = Client(api_key="sk-live-123456", region="eu")
        tp(client)
        assert client.region == "us", f"bad client {client!r}"
"""


class TestFailureMessageMasking:
    """The failure text the exports copy from pytest is masked as the story's values are."""

    def test_secret_in_the_message_is_masked_in_every_export(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """JSON, trace and HTML show api_key=<masked> in the message, never the key itself."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile(test_exported_secret=SECRET_IN_THE_FAILURE)
        result = pytester.runpytest(
            "--chrono-json=stories", "--chrono-trace=traces", "--chrono-html=report.html"
        )
        result.assert_outcomes(failed=1)
        # pytest itself shows the secret: chrono masks only what it copies.
        assert "sk-live-123456" in result.stdout.str()
        (story,) = read_stories(pytester.path / "stories").values()
        message = story["test"]["message"]
        assert "bad client Client(api_key=<masked>, region='eu')" in message
        assert story["events"][0]["items"] == [["client", "Client(api_key=<masked>, region='eu')"]]
        for path in [
            *(pytester.path / "stories").iterdir(),
            *(pytester.path / "traces").iterdir(),
            pytester.path / "report.html",
        ]:
            # The page embeds its data as JSON that escapes "<" (so that no "</script>" ends it).
            text = path.read_text(encoding="utf-8").replace("\\u003c", "<").replace("\\u003e", ">")
            assert "sk-live-123456" not in text, path
            assert text.count("api_key=<masked>") >= 2, path  # the event and the message

    def test_a_secret_known_by_its_form_is_masked_in_the_message(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A key that only its format gives away (no secret name in sight) is masked in the
        message the JSON and HTML copy."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile(
            test_exported_key="""
            from chrono import tp

            def test_key():
                tp(1)
                assert 'sk-live-S3CRET1' == 'x'
            """
        )
        result = pytester.runpytest("--chrono-json=stories", "--chrono-html=report.html")
        result.assert_outcomes(failed=1)
        assert "sk-live-S3CRET1" in result.stdout.str()  # pytest's own report
        (story,) = read_stories(pytester.path / "stories").values()
        assert "assert 'sk-live-<masked>' == 'x'" in story["test"]["message"]
        for path in [*(pytester.path / "stories").iterdir(), pytester.path / "report.html"]:
            assert "S3CRET1" not in path.read_text(encoding="utf-8"), path


class TestTraceOption:
    def test_one_trace_per_failing_test(self, failing_tests: pytest.Pytester) -> None:
        """--chrono-trace writes a Chrome trace for each failing test, named like its JSON."""
        failing_tests.runpytest("--chrono-trace=traces")
        traces = sorted((failing_tests.path / "traces").iterdir())
        assert len(traces) == 3
        expected = {story_file_stem(test_id) + ".trace.json" for test_id in FAILING_IDS}
        assert {path.name for path in traces} == expected
        for path in traces:
            trace = json.loads(path.read_text(encoding="utf-8"))
            assert trace["otherData"]["test"]["id"] in FAILING_IDS
            assert any(event["ph"] == "i" for event in trace["traceEvents"])

    def test_ini_twin(self, failing_tests: pytest.Pytester) -> None:
        """chrono_trace in the ini file works like --chrono-trace."""
        failing_tests.makeini("[pytest]\nchrono_trace = traces\n")
        failing_tests.runpytest()
        assert len(list((failing_tests.path / "traces").glob("*.trace.json"))) == 3


class TestExportOptionValues:
    @pytest.mark.parametrize(
        ("argument", "complaint"),
        [
            ("--chrono-json=", "--chrono-json: expected a directory, got an empty value"),
            ("--chrono-trace=", "--chrono-trace: expected a directory, got an empty value"),
            ("--chrono-html=", "--chrono-html: expected a file, got an empty value"),
            ("--chrono-json=a_file", "--chrono-json=a_file: * is a file; expected a directory"),
            ("--chrono-html=a_dir", "--chrono-html=a_dir: * is a directory; expected a file"),
            ("--chrono-html=a_file/r.html", "--chrono-html=a_file/r.html: * is a file, *"),
        ],
    )
    def test_bad_values_are_usage_errors(
        self, pytester: pytest.Pytester, argument: str, complaint: str
    ) -> None:
        """An empty value, a file where a directory belongs and the reverse stop the run."""
        pytester.makepyfile(test_exported_option="def test_exported_option(): pass")
        pytester.path.joinpath("a_file").write_text("", encoding="utf-8")
        pytester.mkdir("a_dir")
        result = pytester.runpytest(argument)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"*{complaint}"])

    def test_bad_ini_value_names_the_ini_key(self, pytester: pytest.Pytester) -> None:
        """A directory given to chrono_html in the ini file is a usage error naming the key."""
        pytester.makepyfile(test_exported_option="def test_exported_option(): pass")
        pytester.makeini("[pytest]\nchrono_html = reports/\n")
        result = pytester.runpytest()
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*chrono_html=reports/: * is a directory; expected a file"])

    def test_help_lists_the_options(self, pytester: pytest.Pytester) -> None:
        """pytest --help shows the three export options and their ini twins."""
        result = pytester.runpytest("--help")
        result.stdout.fnmatch_lines(
            ["*--chrono-json=DIR*", "*--chrono-trace=DIR*", "*--chrono-html=FILE*"]
        )
        result.stdout.fnmatch_lines(["*chrono_json (string)*"])
