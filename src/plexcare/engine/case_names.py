"""Check the names a case uses (muscles, movements, reflexes, skin areas, studies) against the KB.

A misspelt muscle would otherwise be silently ignored and the answer would quietly lose a
finding, so an unknown name is an error naming the field and offering the closest known names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import get_args

from plexcare.engine.case import Case, StudyResult
from plexcare.knowledge.model import KnowledgeBase, Movement, NerveConductionStudy

MOVEMENTS: frozenset[str] = frozenset(get_args(Movement))


class CaseError(ValueError):
    """A case names something the knowledge base does not know; `field` is the dotted path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _unknown(field: str, name: str, what: str, known: Iterable[str]) -> CaseError:
    matches = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(matches)}?" if matches else ""
    return CaseError(field, f"unknown {what} '{name}'{hint}")


def _classifiable(study: NerveConductionStudy, result: StudyResult, side: str, case: Case) -> bool:
    """Whether anything besides a grade lets the engine read this result: what the result
    itself gives (`_readable_alone`), or (for an amplitude) the same study on the other side
    to compare with."""
    if _readable_alone(study, result):
        return True
    other = case.nerve_conduction.get("right" if side == "left" else "left", {})
    mirrored = other.get(study.id)
    return mirrored is not None and (mirrored.amplitude is not None or mirrored.grade == "absent")


def _readable_alone(study: NerveConductionStudy, result: StudyResult) -> bool:
    """An amplitude limit, a latency limit, a velocity, a block, dispersion, segments, or no
    amplitude to classify at all."""
    has_limit = study.amplitude_lower is not None or any(
        band.amplitude_lower is not None for band in study.age_limits
    )
    if has_limit or (result.latency is not None and study.latency_upper is not None):
        return True
    if result.amplitude is None or result.velocity is not None or result.segments:
        return True
    return result.conduction_block is not None or result.temporal_dispersion is not None


def check_case_names(case: Case, kb: KnowledgeBase) -> None:
    """Raise `CaseError` at the first name the knowledge base does not know."""
    for side, exam in case.exam.items():
        for name in exam.strength:
            if name not in kb.muscles and name not in MOVEMENTS:
                raise _unknown(
                    f"exam.{side}.strength.{name}",
                    name,
                    "muscle or movement",
                    [*kb.muscles, *MOVEMENTS],
                )
        for index, name in enumerate(exam.give_way):
            if name not in kb.muscles and name not in MOVEMENTS:
                raise _unknown(
                    f"exam.{side}.give_way.{index}",
                    name,
                    "muscle or movement",
                    [*kb.muscles, *MOVEMENTS],
                )
        for name in exam.reflexes:
            if name not in kb.reflexes:
                raise _unknown(f"exam.{side}.reflexes.{name}", name, "reflex", kb.reflexes)
        for name in exam.sensation:
            if name not in kb.sensory_areas:
                raise _unknown(
                    f"exam.{side}.sensation.{name}", name, "sensory area", kb.sensory_areas
                )
    for side, results in case.nerve_conduction.items():
        for name, result in results.items():
            field = f"nerve_conduction.{side}.{name}"
            study = kb.studies.get(name)
            if study is None:
                raise _unknown(field, name, "nerve conduction study", kb.studies)
            for segment in result.segments:
                if segment not in {known.id for known in study.segments}:
                    raise _unknown(
                        f"{field}.segments.{segment}",
                        segment,
                        f"segment of {study.name}",
                        [known.id for known in study.segments],
                    )
            if result.grade is None and not _classifiable(study, result, side, case):
                raise CaseError(
                    f"{field}.amplitude",
                    f"{study.name} has no amplitude limit to classify against; give a grade, "
                    "or record the other side for comparison",
                )
    for side, muscles in case.emg.items():
        for name in muscles:
            muscle = kb.muscles.get(name)
            if muscle is None:
                raise _unknown(f"emg.{side}.{name}", name, "muscle", kb.muscles)


@dataclass
class BatchNames:
    """The names a batch of cases uses, gathered as the batch is read and checked once.

    `unusual` holds the rows of cases with a study result that needs more than its name
    checked (`needs_a_closer_look`).
    """

    strength: set[str] = field(default_factory=set)
    give_way: set[str] = field(default_factory=set)
    reflexes: set[str] = field(default_factory=set)
    sensation: set[str] = field(default_factory=set)
    studies: set[str] = field(default_factory=set)
    muscles: set[str] = field(default_factory=set)
    unusual: list[int] = field(default_factory=list)

    def check(self, cases: Sequence[Case], kb: KnowledgeBase) -> None:
        """Raise `check_case_names`'s error for the first case that has one.

        With every name known, only the unusual cases can be refused, so only they are
        checked one by one; an unknown name sends the whole batch through, in order, so the
        error is the one a case-by-case check would raise first.
        """
        bedside = kb.muscles.keys() | MOVEMENTS
        unknown = (
            self.strength - bedside
            or self.give_way - bedside
            or self.reflexes - kb.reflexes.keys()
            or self.sensation - kb.sensory_areas.keys()
            or self.studies - kb.studies.keys()
            or self.muscles - kb.muscles.keys()
        )
        for case in cases if unknown else [cases[row] for row in sorted(set(self.unusual))]:
            check_case_names(case, kb)


def needs_a_closer_look(name: str, result: StudyResult, kb: KnowledgeBase) -> bool:
    """Whether a result may be refused for more than an unknown study name: segments the
    study does not have, or an amplitude without a grade that nothing in the result lets the
    engine read (the other side then decides)."""
    return _closer_look(name, result, kb, _segment_ids(kb))


def _closer_look(
    name: str, result: StudyResult, kb: KnowledgeBase, segments: Mapping[str, frozenset[str]]
) -> bool:
    study = kb.studies.get(name)
    if study is None:
        return True
    if result.grade is None and not _readable_alone(study, result):
        return True
    return bool(result.segments) and not result.segments.keys() <= segments[name]


def check_batch_names(cases: Sequence[Case], kb: KnowledgeBase) -> None:
    """`check_case_names` for many cases: the same error, raised for the same first case,
    from the union of the batch's names checked once with set operations."""
    names = BatchNames()
    segments = _segment_ids(kb)
    for row, case in enumerate(cases):
        for exam in case.exam.values():
            names.strength.update(exam.strength)
            names.give_way.update(exam.give_way)
            names.reflexes.update(exam.reflexes)
            names.sensation.update(exam.sensation)
        for results in case.nerve_conduction.values():
            names.studies.update(results)
            for name, result in results.items():
                if _closer_look(name, result, kb, segments):
                    names.unusual.append(row)
        for needled in case.emg.values():
            names.muscles.update(needled)
    names.check(cases, kb)


def _segment_ids(kb: KnowledgeBase) -> Mapping[str, frozenset[str]]:
    """Study -> the ids of its segments."""
    return kb.derived("study_segment_ids", _build_segment_ids)


def _build_segment_ids(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    return {name: frozenset(s.id for s in study.segments) for name, study in kb.studies.items()}
