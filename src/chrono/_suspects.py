"""Suspects: the recorded facts that best set a run's failing stories apart from its passing ones.

Plain data in, plain data out: no display, no test framework. Each story is read as a set of
*predicates* (what statistical debugging calls them) that held in it:

- ``ran``: a call site ran;
- ``ran_times``: it ran exactly k times;
- ``value``: an item it recorded (``tp(x > limit)`` records ``x > limit``) had a value, the
  value normalised so that what differs from run to run by nature (memory addresses, ``id()``s,
  temporary paths, times, UUIDs) is no value of its own.

Over the run, each predicate's *spectrum* is how many failing and how many passing stories it
held in. A failing story's predicates are scored by a published formula:

- **Ochiai** (the default): ``failed / sqrt(total_failed * (failed + passed))``, as studied
  for fault localization by R. Abreu, P. Zoeteweij and A. J. C. van Gemund, "On the Accuracy
  of Spectrum-based Fault Localization", TAICPART-MUTATION 2007.
- **DStar** (``*`` = 2): ``failed ** 2 / (passed + (total_failed - failed))``, from W. E. Wong,
  V. Debroy, Y. Li and R. Gao, "The DStar Method for Effective Software Fault Localization",
  IEEE Transactions on Reliability 63(1), 2014.

And weighed as statistical debugging weighs predicates (B. Liblit, M. Naik, A. X. Zheng,
A. Aiken and M. I. Jordan, "Scalable Statistical Bug Isolation", PLDI 2005): a predicate's
*Increase* is ``Failure(P) - Context(P)``, its failure rate less the failure rate of the
stories that reached the place where it is decided (for ``ran``, every story; for
``ran_times``, those where the site ran; for ``value``, those where the site recorded that
item). A predicate whose Increase is not above zero says nothing the site does not already
say, and is dropped. So is a value held in one story only, at an item other stories recorded
with other values (a test's own input): weighed by how many stories share it, it tells the
runs apart, not the outcomes. Between scores alike, conditions (an item whose value is
``True`` or ``False``) come first, then a call site that ran, then other values, then counts
of runs. Call sites in the tests' own files are not suspects: the code under test is.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from chrono._compare import CONDITION_VALUES, comparable_value

__all__ = [
    "FORMULAS",
    "Evidence",
    "Spectra",
    "Suspect",
    "dstar",
    "evidence",
    "kept_around",
    "normalised_value",
    "ochiai",
    "rank",
    "spectra",
    "suspects_from_dicts",
]

#: How many suspects a failing story shows, at most.
SHOWN = 3
#: The compact form's row of one event: kind, file (an index into files), line, function,
#: label, items, sequence number, thread (as ``_compare.compact_rows`` makes it).
Row = Sequence[Any]

# -- values that differ by nature --------------------------------------------------------------

_normalised: dict[str, str] = {}
#: How many normalised values are remembered (values repeat from story to story).
_NORMALISED_LIMIT = 50_000


def normalised_value(value: str) -> str:
    """A recorded value as evidence: as comparison sees it (``comparable_value``: bounded, and
    what differs from run to run by nature masked), remembered, since values repeat from story
    to story."""
    known = _normalised.get(value)
    if known is not None:
        return known
    shown = comparable_value(value)
    if len(_normalised) >= _NORMALISED_LIMIT:
        _normalised.clear()
    _normalised[value] = shown
    return shown


# -- the predicates of one story ----------------------------------------------------------------

#: A predicate: its kind, call site (file, line), item text ("" for ran and ran_times) and
#: value (the normalised repr; the count for ran_times; "" for ran).
Predicate = tuple[str, str, int, str, str]
#: Where a predicate is decided (its context): None for ``ran`` (every story), the call site
#: for ``ran_times``, the call site and item text for ``value``.
Context = Any


@dataclass(frozen=True)
class Evidence:
    """What one story tells: its predicates, each with the sequence numbers of the events
    where it held; the contexts it reached; each call site's function."""

    predicates: Mapping[Predicate, tuple[int, ...]]
    contexts: frozenset[Context]
    functions: Mapping[tuple[str, int], str]

    @property
    def sites(self) -> frozenset[tuple[str, int]]:
        """The call sites the story went through."""
        return frozenset(self.functions)


def evidence(
    files: Sequence[str],
    rows: Iterable[Row],
    sites: Container[tuple[str, int]] | None = None,
) -> Evidence:
    """The evidence of a story in the compact form (``files`` and ``rows``, as
    ``_compare.compact_rows`` makes them, or a compact dict's ``files`` and ``events``).
    ``sites``: read only the events at these call sites (None: all); a passing story is
    read only where the failing ones went, as nothing else is scored."""
    held: dict[Predicate, list[int]] = {}
    runs: Counter[tuple[str, int]] = Counter()
    site_seqs: dict[tuple[str, int], list[int]] = {}
    functions: dict[tuple[str, int], str] = {}
    contexts: set[Context] = set()
    for row in rows:
        kind, file_index, line, function, _label, items, seq = row[:7]
        if kind == "subtest":
            continue
        site = (files[file_index], int(line))
        if sites is not None and site not in sites:
            continue
        runs[site] += 1
        site_seqs.setdefault(site, []).append(int(seq))
        functions.setdefault(site, str(function))
        for text, value in items:
            text = str(text)
            key = ("value", *site, text, normalised_value(str(value)))
            held.setdefault(key, []).append(int(seq))
            contexts.add((*site, text))
    for site, count in runs.items():
        seqs = site_seqs[site]
        held[("ran", *site, "", "")] = seqs
        held[("ran_times", *site, "", str(count))] = seqs
        contexts.add(site)
    return Evidence(
        {predicate: tuple(seqs) for predicate, seqs in held.items()},
        frozenset(contexts),
        functions,
    )


def _context_of(predicate: Predicate) -> Context:
    kind, file, line, text, _value = predicate
    if kind == "ran":
        return None
    if kind == "ran_times":
        return (file, line)
    return (file, line, text)


# -- the spectra over a run ---------------------------------------------------------------------


class Counts(NamedTuple):
    """In how many failing and passing stories something held."""

    failing: int
    passing: int


@dataclass(frozen=True)
class Spectra:
    """Each predicate of the failing stories, and each context, counted over the run."""

    failing_total: int
    passing_total: int
    predicates: Mapping[Predicate, Counts]
    contexts: Mapping[Context, Counts]


def spectra(failing: Sequence[Evidence], passing: Iterable[Evidence]) -> Spectra:
    """Count the failing stories' predicates, and their contexts, over the failing and the
    passing stories. Only what some failing story holds is counted: nothing else is scored."""
    predicates: dict[Predicate, list[int]] = {}
    contexts: dict[Context, list[int]] = {None: [len(failing), 0]}
    for story in failing:
        for predicate in story.predicates:
            predicates.setdefault(predicate, [0, 0])[0] += 1
        for context in story.contexts:
            contexts.setdefault(context, [0, 0])[0] += 1
    passing_total = 0
    for story in passing:
        passing_total += 1
        contexts[None][1] += 1
        for predicate in story.predicates.keys() & predicates.keys():
            predicates[predicate][1] += 1
        for context in story.contexts & contexts.keys():
            contexts[context][1] += 1
    return Spectra(
        len(failing),
        passing_total,
        {predicate: Counts(*counts) for predicate, counts in predicates.items()},
        {context: Counts(*counts) for context, counts in contexts.items()},
    )


# -- the formulas -------------------------------------------------------------------------------


def ochiai(failed: int, passed: int, total_failed: int) -> float:
    """Ochiai's coefficient (Abreu, Zoeteweij, van Gemund, TAICPART-MUTATION 2007): 0 when the
    predicate held in no failing story."""
    if failed <= 0 or total_failed <= 0:
        return 0.0
    return failed / math.sqrt(total_failed * (failed + passed))


def dstar(failed: int, passed: int, total_failed: int, star: int = 2) -> float:
    """DStar (Wong, Debroy, Li, Gao, IEEE Trans. Reliability 2014), ``*`` = ``star``.

    Where the formula divides by zero (the predicate held in every failing story and in no
    passing one), the score is ``failed ** star + 1``: above any score with a divisor of one or
    more, as the formula's limit is.
    """
    if failed <= 0:
        return 0.0
    divisor = passed + (total_failed - failed)
    numerator = float(failed) ** star
    if divisor <= 0:
        return numerator + 1.0
    return numerator / divisor


#: The formulas by the name the option and the exports give them.
FORMULAS: Mapping[str, Callable[[int, int, int], float]] = {"ochiai": ochiai, "dstar": dstar}


# -- ranking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suspect:
    """A predicate of a failing story, scored: where it held, what it says, its counts."""

    rank: int
    #: The first event of the failing story where it held, and all of them.
    seq: int
    seqs: tuple[int, ...]
    file: str
    line: int
    function: str
    #: What it says: ``x > limit=True``, ``ran``, ``ran 3 times``.
    predicate: str
    kind: str
    score: float
    formula: str
    failing: int
    failing_total: int
    passing: int
    passing_total: int
    #: Liblit's Increase: its failure rate less its context's.
    increase: float
    #: Whether another suspect shown beside it has the same score.
    tied: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The suspect as the exports carry it."""
        return {
            "rank": self.rank,
            "seq": self.seq,
            "file": self.file,
            "line": self.line,
            "function": self.function,
            "predicate": self.predicate,
            "kind": self.kind,
            "score": round(self.score, 4),
            "formula": self.formula,
            "failing": self.failing,
            "failing_total": self.failing_total,
            "passing": self.passing,
            "passing_total": self.passing_total,
        }


def suspects_from_dicts(data: Sequence[Mapping[str, Any]]) -> list[Suspect]:
    """Suspects as the exports carry them (``Suspect.to_dict``), best first. What the exports
    leave out is rebuilt from what they keep: every event where one held is its first one,
    equal scores are tied, and the Increase (not shown) is unknown, 0."""
    suspects = [
        Suspect(
            rank=int(entry["rank"]),
            seq=int(entry["seq"]),
            seqs=(int(entry["seq"]),),
            file=str(entry["file"]),
            line=int(entry["line"]),
            function=str(entry["function"]),
            predicate=str(entry["predicate"]),
            kind=str(entry["kind"]),
            score=float(entry["score"]),
            formula=str(entry["formula"]),
            failing=int(entry["failing"]),
            failing_total=int(entry["failing_total"]),
            passing=int(entry["passing"]),
            passing_total=int(entry["passing_total"]),
            increase=0.0,
        )
        for entry in data
    ]
    return _ties_told(sorted(suspects, key=lambda suspect: suspect.rank))


def _failure_rate(counts: Counts) -> float:
    total = counts.failing + counts.passing
    return counts.failing / total if total else 0.0


def _is_input(predicate: Predicate, counts: Counts, context: Counts) -> bool:
    """Whether a value predicate is a story's own input: a value held in one story only, at an
    item other stories recorded too (with other values). A condition (``True`` or ``False``)
    never is: it is an outcome, and with two stories one of each is held in one story only."""
    if predicate[0] != "value" or predicate[4] in CONDITION_VALUES:
        return False
    return counts.failing + counts.passing == 1 and context.failing + context.passing > 1


def _tier(predicate: Predicate) -> int:
    """Between scores alike: conditions first, then a call site that ran, then other values,
    then how many times a site ran (a failing test that stops early runs its sites fewer
    times: a count is the weakest evidence)."""
    kind, _file, _line, _text, value = predicate
    if kind == "value":
        return 0 if value in CONDITION_VALUES else 2
    return 1 if kind == "ran" else 3


def _said(predicate: Predicate) -> str:
    kind, _file, _line, text, value = predicate
    if kind == "ran":
        return "ran"
    if kind == "ran_times":
        return "ran once" if value == "1" else f"ran {value} times"
    return value if not text or text == value else f"{text}={value}"


def rank(
    failing: Evidence,
    spectra: Spectra,
    *,
    formula: str = "ochiai",
    test_files: frozenset[str] = frozenset(),
    shown: int = SHOWN,
) -> list[Suspect]:
    """The failing story's best suspects, at most ``shown``, one per call site, best first.

    A predicate is left out when its Increase is not above zero, when it is a story's own
    input (see the module's docstring), or when its call site is in one of ``test_files``.
    Ordered by score, then by kind (see ``_tier``), then Increase, then the earliest event.
    """
    score_of = FORMULAS[formula]
    base = spectra.contexts[None]
    candidates = []
    for predicate, seqs in failing.predicates.items():
        counts = spectra.predicates.get(predicate)
        if counts is None or predicate[1] in test_files:
            continue
        context = spectra.contexts.get(_context_of(predicate), base)
        increase = _failure_rate(counts) - _failure_rate(context)
        if increase <= 1e-12 or _is_input(predicate, counts, context):
            continue
        score = score_of(counts.failing, counts.passing, spectra.failing_total)
        key = (-score, _tier(predicate), -increase, seqs[0])
        candidates.append((key, predicate, seqs, counts, score, increase))
    candidates.sort(key=lambda candidate: candidate[0])
    suspects: list[Suspect] = []
    sites: set[tuple[str, int]] = set()
    for _key, predicate, seqs, counts, score, increase in candidates:
        kind, file, line, _text, _value = predicate
        if (file, line) in sites:
            continue
        sites.add((file, line))
        suspects.append(
            Suspect(
                rank=len(suspects) + 1,
                seq=seqs[0],
                seqs=seqs,
                file=file,
                line=line,
                function=failing.functions.get((file, line), "?"),
                predicate=_said(predicate),
                kind=kind,
                score=score,
                formula=formula,
                failing=counts.failing,
                failing_total=spectra.failing_total,
                passing=counts.passing,
                passing_total=spectra.passing_total,
                increase=increase,
            )
        )
        if len(suspects) == shown:
            break
    return _ties_told(suspects)


def _ties_told(suspects: list[Suspect]) -> list[Suspect]:
    scores = Counter(round(suspect.score, 9) for suspect in suspects)
    return [
        suspect if scores[round(suspect.score, 9)] == 1 else _with_tie(suspect)
        for suspect in suspects
    ]


def _with_tie(suspect: Suspect) -> Suspect:
    from dataclasses import replace

    return replace(suspect, tied=True)


# -- cutting a story around what matters --------------------------------------------------------


def kept_around(count: int, focus: Iterable[int], room: int) -> list[int]:
    """Which of ``count`` events (by index) to show in ``room`` rows, where each stretch left
    out takes a row of its own: the ``focus`` events and the last one, then their neighbours,
    nearest first, the one before each before the one after, while room is left. All of them
    when they fit."""
    if count <= room:
        return list(range(count))
    wanted = sorted({index for index in focus if 0 <= index < count} | {count - 1})
    kept = set(wanted)
    while _rows(kept, count) > room and len(kept) > 1:
        # More focus events than room: the earliest go first.
        kept.discard(min(kept))
    wanted = sorted(kept)
    for reach in range(1, count):
        if _rows(kept, count) >= room:
            break
        for index in wanted:
            for neighbour in (index - reach, index + reach):
                if 0 <= neighbour < count and neighbour not in kept:
                    trial = kept | {neighbour}
                    if _rows(trial, count) <= room:
                        kept = trial
    return sorted(kept)


def _rows(kept: set[int], count: int) -> int:
    """Rows that showing ``kept`` takes: one per event kept, one per stretch left out."""
    gaps = 0
    previous = -1
    for index in sorted(kept):
        if index > previous + 1:
            gaps += 1
        previous = index
    if previous < count - 1:
        gaps += 1
    return len(kept) + gaps
