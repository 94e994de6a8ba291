"""`docs/safety.md` lists every red-flag rule with its sources and the tests that cover it,
and stays in step with the knowledge base."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.red_flag_model import RedFlagRule

KB = knowledge_base()
ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "safety.md").read_text()
RULES_PART = DOC.split("## Warning facts", 1)[0]
SECTIONS = {
    "emergency": "## Emergency",
    "same_day": "## Same day",
    "urgent": "## Within a few days",
}


def _row(rule_id: str) -> str:
    rows = [line for line in RULES_PART.splitlines() if line.startswith(f"| `{rule_id}` |")]
    assert len(rows) == 1, rule_id
    return rows[0]


def _section_of(rule_id: str) -> str:
    before = RULES_PART[: RULES_PART.index(f"| `{rule_id}` |")]
    return max(SECTIONS, key=lambda level: before.rfind(SECTIONS[level]))


@pytest.mark.parametrize("rule", KB.red_flags.rules, ids=lambda r: r.id)
def test_every_rule_is_listed_under_its_urgency_with_its_sources(rule: RedFlagRule) -> None:
    row = _row(rule.id)
    assert _section_of(rule.id) == rule.urgency
    for source in rule.sources:
        assert f"`{source}`" in row
        assert KB.references[source].citation in DOC


def test_the_page_lists_every_rule_once_and_no_other() -> None:
    rows = [line for line in RULES_PART.splitlines() if line.startswith("| `")]
    listed = [row.split("`", 2)[1] for row in rows]
    assert KB.red_flags.rules
    assert sorted(listed) == sorted(rule.id for rule in KB.red_flags.rules)


def test_every_test_the_page_names_exists() -> None:
    tests = "\n".join(path.read_text() for path in (ROOT / "tests").rglob("test_*.py"))
    rows = [line for line in RULES_PART.splitlines() if line.startswith("| `")]
    assert rows
    for row in rows:
        covered = row.rstrip(" |").rsplit("|", 1)[1]
        names = re.findall(r"`([a-z0-9_]+)`", covered)
        assert names, f"the row names no test: {row}"
        for name in names:
            assert f"def {name}(" in tests or f'"{name}"' in tests or f"{name}.yaml" in tests, name
