"""`red_flags.yaml` loads only when every fact, source and concern it names exists, and a
mistake names the file and the entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, load_knowledge_base


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "red_flags.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return data


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (
            "sources: [bjorck_2020_esvs_acute_limb_ischaemia]",
            "sources: [no_such_ref_2099]",
            "no_such_ref_2099",
        ),
        ("concerns: [ischaemic_lumbosacral_plexopathy]", "concerns: [gout]", "gout"),
        ("when: [[cold_pale_or_pulseless_leg]]", "when: [[cold_leg]]", "cold_leg"),
        ("urgency: emergency", "urgency: whenever", "urgency"),
        ("standing_sources: [mrc_aids_2010", "standing_sources: [mrc_1942", "mrc_1942"),
    ],
)
def test_a_broken_red_flag_rule_fails_to_load_naming_it(
    tmp_path: Path, old: str, new: str, named: str
) -> None:
    with pytest.raises(KnowledgeBaseError, match="red_flags") as error:
        load_knowledge_base(_broken(tmp_path, old, new))
    assert named in str(error.value)
