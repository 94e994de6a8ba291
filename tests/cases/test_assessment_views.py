"""The assessment page's context, read from the stored answer: every worked example shows only
clinical words, a summary with its parts, and an answer stored in an older or partial shape
still renders rather than failing."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from plexcare.cases.assessment_views import AssessmentPage, stored_assessment_page
from plexcare.cases.body_map import body_map
from plexcare.engine import Case, assess
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.layout import Frame
from plexcare.portal.rendering import templates

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cases"
FRAME = Frame(title="Assessment", nav=(), visitor=None, csrf_token="token")
SNAKE_CASE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")


def visible_words(page: AssessmentPage) -> str:
    rendered = templates.get_template("cases/assessment.html").render(page=page)
    main = rendered[rendered.index("<main") :]
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_reads_in_clinical_words_only(kb: KnowledgeBase, path: Path) -> None:
    case = Case.model_validate(yaml.safe_load(path.read_text("utf-8")))
    answer = assess(case, kb)
    page = stored_assessment_page(
        frame=FRAME,
        answer=answer.to_dict(),
        body_map=body_map(case, kb, answer.localization.leader.key),
        days_since_onset=case.days_since_onset,
    )
    words = visible_words(page)
    assert SNAKE_CASE.findall(words) == []
    assert page.summary.cause == answer.etiology[0].name
    assert page.summary.plexopathy in ("Likely", "Unlikely")
    assert len(page.summary.red_flags) == len(answer.red_flags)
    if answer.next_tests:
        assert page.summary.next_test == answer.next_tests[0].name
    else:
        study = getattr(answer, "study_plan", None)
        note = getattr(study, "note", "")
        assert note in page.summary.next_test_reason


def test_an_answer_missing_parts_still_renders_and_says_what_is_unknown() -> None:
    page = stored_assessment_page(frame=FRAME, answer={"kb_version": "old"})
    assert page.summary.site == "Not known"
    assert page.summary.next_test == "No further test changes the ranking much"
    assert page.evaluation.findings_used == 0
    assert "no examination or study findings yet" in visible_words(page)


def test_parts_in_an_unexpected_shape_are_skipped_not_fatal() -> None:
    answer: dict[str, Any] = {
        "localization": ["not a mapping", {"title": "L5 radiculopathy (left)", "probability": 0.7}],
        "etiology": [{"name": "L5 radiculopathy", "probability": "high"}],
        "next_tests": [{"target": "tibialis_posterior", "information_gain": None}],
        "red_flags": [{"urgency": "urgent", "reason": "Progressive weakness: image soon."}],
        "plan": {"pain": [{"treatment": "nsaid", "unchecked": ["peptic_ulcer", 3]}]},
        "features": {"present": ["diabetes"], "absent": None},
    }
    page = stored_assessment_page(frame=FRAME, answer=answer)
    assert page.summary.site == "L5 radiculopathy (left)"
    assert page.summary.cause_probability == "0%"
    assert page.summary.next_test == "tibialis posterior"
    assert page.summary.red_flags[0].headline == "Progressive weakness"
    assert page.plan[0].items[0].unchecked == ("peptic ulcer disease",)
    assert page.evaluation.features_used == 1
