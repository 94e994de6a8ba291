"""Check the names a case uses (muscles, movements, reflexes, skin areas, studies) against the KB.

A misspelt muscle would otherwise be silently ignored and the answer would quietly lose a
finding, so an unknown name is an error naming the field and offering the closest known names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
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
    """Whether anything besides a grade lets the engine read this result: an amplitude
    limit, a latency limit, a velocity, a block, dispersion, segments, or (for an amplitude)
    the same study on the other side to compare with."""
    has_limit = study.amplitude_lower is not None or any(
        band.amplitude_lower is not None for band in study.age_limits
    )
    if has_limit or (result.latency is not None and study.latency_upper is not None):
        return True
    if result.amplitude is None or result.velocity is not None or result.segments:
        return True
    if result.conduction_block is not None or result.temporal_dispersion is not None:
        return True
    other = case.nerve_conduction.get("right" if side == "left" else "left", {})
    mirrored = other.get(study.id)
    return mirrored is not None and (mirrored.amplitude is not None or mirrored.grade == "absent")


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
