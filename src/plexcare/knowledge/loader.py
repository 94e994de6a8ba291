"""Read the YAML knowledge base, validate every entry, cross-check every id, and cache it.

A clinician edits these files by hand, so an error must point at the one thing to fix: the
file, the entry and the field. Validation happens entry by entry for that reason, and the
cross-checks (every source resolves, every nerve exists, every muscle is reached from its
roots through the graph) run once the whole base is read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from plexcare import __version__
from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.integrity import Origins, check_integrity
from plexcare.knowledge.model import (
    Disorder,
    Education,
    EtiologyFeature,
    KnowledgeBase,
    Muscle,
    NerveConductionStudy,
    Reference,
    Reflex,
    SensoryArea,
    Structure,
    Test,
    Treatment,
    Triage,
)
from plexcare.knowledge.outcome_model import OutcomeScale

DATA_DIR = Path(__file__).parent / "data"

Record = TypeVar("Record", bound=BaseModel)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _read_yaml(path: Path, root: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "unknown line"
        raise KnowledgeBaseError(_relative(path, root), where, "-", "not valid YAML") from exc


def _entries(path: Path, root: Path) -> list[Any]:
    content = _read_yaml(path, root)
    if content is None:
        return []
    if not isinstance(content, list):
        raise KnowledgeBaseError(
            _relative(path, root), "-", "-", "expected a list of entries at the top level"
        )
    return content


def _validate(model: type[Record], raw: Any, path: Path, root: Path, index: int) -> Record:
    entry = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "-"
        raise KnowledgeBaseError(_relative(path, root), str(entry), field, first["msg"]) from exc


def _collect(
    model: type[Record], paths: Iterable[Path], root: Path, origins: Origins
) -> dict[str, Record]:
    records: dict[str, Record] = {}
    for path in paths:
        for index, raw in enumerate(_entries(path, root)):
            record = _validate(model, raw, path, root, index)
            key = str(getattr(record, "id"))  # noqa: B009 - every collected model has an id
            if key in records:
                raise KnowledgeBaseError(_relative(path, root), key, "id", "duplicate id")
            records[key] = record
            origins[(model.__name__, key)] = _relative(path, root)
    return records


def _files(root: Path, name: str) -> list[Path]:
    """`name.yaml` and/or every YAML file in folder `name/`, in a stable order."""
    single = root / f"{name}.yaml"
    folder = root / name
    paths = [single] if single.exists() else []
    if folder.is_dir():
        paths.extend(sorted(folder.glob("*.yaml")))
    return paths


def _fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def load_knowledge_base(root: Path = DATA_DIR) -> KnowledgeBase:
    """Load and check the knowledge base under `root` (uncached; see `knowledge_base`)."""
    collected: dict[str, Any] = {}
    origins: Origins = {}
    kinds: Mapping[str, tuple[str, type[BaseModel]]] = {
        "references": ("references", Reference),
        "structures": ("anatomy/structures", Structure),
        "muscles": ("anatomy/muscles", Muscle),
        "sensory_areas": ("anatomy/sensory_areas", SensoryArea),
        "reflexes": ("anatomy/reflexes", Reflex),
        "studies": ("anatomy/studies", NerveConductionStudy),
        "etiology_features": ("etiology_features", EtiologyFeature),
        "tests": ("tests", Test),
        "treatments": ("treatments", Treatment),
        "disorders": ("disorders", Disorder),
    }
    for key, (name, model) in kinds.items():
        paths = _files(root, name)
        if not paths:
            raise KnowledgeBaseError(name, "-", "-", "no data file found")
        collected[key] = _collect(model, paths, root, origins)
    education_path = root / "education.yaml"
    raw_education = _read_yaml(education_path, root) if education_path.exists() else None
    if raw_education is None:
        raise KnowledgeBaseError("education.yaml", "-", "-", "no data file found")
    try:
        education = Education.model_validate(raw_education)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise KnowledgeBaseError("data/education.yaml", "education", field, first["msg"]) from exc
    triage = _load_triage(root)
    outcome_scales = _load_outcome_scales(root, origins)
    kb = KnowledgeBase(
        version=f"{__version__}+kb.{_fingerprint(root)}",
        education=education,
        triage=triage,
        outcome_scales=outcome_scales,
        **collected,
    )
    check_integrity(kb, origins)
    _check_triage_sources(kb)
    _check_outcome_scale_sources(kb, origins)
    return kb


def _load_triage(root: Path) -> Triage:
    """The patient self-check (`triage.yaml`); optional, so an older data folder still loads."""
    path = root / "triage.yaml"
    raw = _read_yaml(path, root) if path.exists() else None
    if raw is None:
        return Triage()
    try:
        return Triage.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "-"
        raise KnowledgeBaseError(_relative(path, root), "triage", field, first["msg"]) from exc


def _check_triage_sources(kb: KnowledgeBase) -> None:
    for rule in kb.triage.rules:
        for source in rule.sources:
            if source not in kb.references:
                raise KnowledgeBaseError(
                    "data/triage.yaml", rule.id, "sources", f"unknown reference '{source}'"
                )


def _load_outcome_scales(root: Path, origins: Origins) -> dict[str, OutcomeScale]:
    """Follow-up outcome scales (`outcome_scales.yaml`); optional, like the triage file."""
    path = root / "outcome_scales.yaml"
    return _collect(OutcomeScale, [path], root, origins) if path.exists() else {}


def _check_outcome_scale_sources(kb: KnowledgeBase, origins: Origins) -> None:
    for key, scale in kb.outcome_scales.items():
        for source in scale.all_sources:
            if source not in kb.references:
                where = origins.get(("OutcomeScale", key), "data/outcome_scales.yaml")
                raise KnowledgeBaseError(where, key, "sources", f"unknown reference '{source}'")


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """The packaged knowledge base, loaded once per process."""
    return load_knowledge_base()
