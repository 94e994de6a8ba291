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
from plexcare.engine.finding_model import FindingKind
from plexcare.knowledge.engine_parameters_model import (
    AgedAbsence,
    BackgroundPolyneuropathy,
    ClinicalThreshold,
    ClinicalThresholds,
    Electrodiagnosis,
    FindingKindParameters,
    GeneralizedPattern,
)
from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.integrity import Origins, ancestors, check_integrity
from plexcare.knowledge.model import (
    COMPOSITE_LESIONS,
    GENERALIZED_PATTERNS,
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
from plexcare.knowledge.red_flag_model import RedFlagRules
from plexcare.knowledge.site_and_cause_model import SiteAndCause
from plexcare.knowledge.terminology_model import Terminology, TerminologyEntry
from plexcare.knowledge.test_cost_model import TestCost, TestCosts

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
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start}"
        raise KnowledgeBaseError(_relative(path, root), where, "-", "not UTF-8 text") from exc


def _entries(path: Path, root: Path) -> list[Any]:
    content = _read_yaml(path, root)
    if content is None:
        return []
    if not isinstance(content, list):
        raise KnowledgeBaseError(
            _relative(path, root), "-", "-", "expected a list of entries at the top level"
        )
    return content


def _validated(model: type[Record], raw: Any, where: str, entry: str) -> Record:
    """`raw` as a `model`, or a `KnowledgeBaseError` naming the first field that fails."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "-"
        raise KnowledgeBaseError(where, entry, field, first["msg"]) from exc


def _validate(model: type[Record], raw: Any, path: Path, root: Path, index: int) -> Record:
    entry = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
    return _validated(model, raw, _relative(path, root), str(entry))


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
        if not collected[key]:
            raise KnowledgeBaseError(name, "-", "-", "no entries: the knowledge base needs them")
    education_path = root / "education.yaml"
    raw_education = _read_yaml(education_path, root) if education_path.exists() else None
    if raw_education is None:
        raise KnowledgeBaseError("education.yaml", "-", "-", "no data file found")
    education = _validated(Education, raw_education, _relative(education_path, root), "education")
    entry_ids = [entry.id for entry in education.sections] + [e.id for e in education.faq]
    origins.update({("Education", key): _relative(education_path, root) for key in entry_ids})
    triage = _load_triage(root)
    red_flags = _load_red_flags(root)
    outcome_scales = _load_outcome_scales(root, origins)
    electrodiagnosis = _load_electrodiagnosis(root)
    thresholds = _load_thresholds(root, origins)
    generalized_patterns = _load_generalized_patterns(root, origins)
    site_and_cause = _load_site_and_cause(root)
    test_costs = _load_test_costs(root, origins)
    terminology = _load_terminology(root, origins)
    kb = KnowledgeBase(
        version=f"{__version__}+kb.{_fingerprint(root)}",
        education=education,
        triage=triage,
        red_flags=red_flags,
        outcome_scales=outcome_scales,
        electrodiagnosis=electrodiagnosis,
        thresholds=thresholds,
        generalized_patterns=generalized_patterns,
        site_and_cause=site_and_cause,
        test_costs=test_costs,
        terminology=terminology,
        **collected,
    )
    check_integrity(kb, origins)
    _check_study_links(kb, origins)
    _check_triage_sources(kb)
    _check_red_flags(kb)
    _check_outcome_scale_sources(kb, origins)
    _check_engine_parameter_sources(kb, origins)
    _check_site_and_cause(kb)
    _check_test_costs(kb, origins)
    _check_terminology(kb, origins)
    return kb


def _load_triage(root: Path) -> Triage:
    """The patient self-check (`triage.yaml`); optional, so an older data folder still loads."""
    path = root / "triage.yaml"
    raw = _read_yaml(path, root) if path.exists() else None
    if raw is None:
        return Triage()
    return _validated(Triage, raw, _relative(path, root), "triage")


def _check_triage_sources(kb: KnowledgeBase) -> None:
    for rule in kb.triage.rules:
        for source in rule.sources:
            if source not in kb.references:
                raise KnowledgeBaseError(
                    "data/triage.yaml", rule.id, "sources", f"unknown reference '{source}'"
                )


RED_FLAGS_FILE = "red_flags.yaml"


def _load_red_flags(root: Path) -> RedFlagRules:
    """The shared red-flag rules (`red_flags.yaml`); optional, like the triage file."""
    path = root / RED_FLAGS_FILE
    raw = _read_yaml(path, root) if path.exists() else None
    if raw is None:
        return RedFlagRules()
    return _validated(RedFlagRules, raw, _relative(path, root), "red_flags")


def _check_red_flags(kb: KnowledgeBase) -> None:
    """Every source, concern and fact the red-flag rules and the self-check name exists."""
    where = f"data/{RED_FLAGS_FILE}"
    rules = kb.red_flags
    cited: list[tuple[str, str, tuple[str, ...]]] = [
        *((rule.id, "sources", rule.sources) for rule in rules.rules),
        *((drug.id, "sources", drug.sources) for drug in rules.anticoagulants),
        ("standing_movements", "standing_sources", rules.standing_sources),
    ]
    for entry, field, sources in cited:
        for source in sources:
            if source not in kb.references:
                problem = f"unknown reference '{source}'"
                raise KnowledgeBaseError(where, entry, field, problem)
    for rule in rules.rules:
        for concern in rule.concerns:
            if concern not in kb.disorders:
                problem = f"unknown disorder '{concern}'"
                raise KnowledgeBaseError(where, rule.id, "concerns", problem)
    known = {fact.id for fact in rules.facts}
    for question in kb.triage.questions:
        for signal in question.signals:
            if signal.fact not in known:
                problem = f"unknown warning fact '{signal.fact}'"
                raise KnowledgeBaseError("data/triage.yaml", question.id, "signals", problem)


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


TERMINOLOGY_FILE = "terminology.yaml"


def _load_terminology(root: Path, origins: Origins) -> Terminology:
    """Standard codes for our ids (`terminology.yaml`); optional, like the triage file."""
    path = root / TERMINOLOGY_FILE
    if not path.exists():
        return Terminology()
    return Terminology(entries=_collect(TerminologyEntry, [path], root, origins))


def _check_terminology(kb: KnowledgeBase, origins: Origins) -> None:
    """Every entry cites known references, and a disorder's codes belong to a known disorder."""
    for key, entry in kb.terminology.entries.items():
        where = origins.get(("TerminologyEntry", key), f"data/{TERMINOLOGY_FILE}")
        for source in entry.sources:
            if source not in kb.references:
                raise KnowledgeBaseError(where, key, "sources", f"unknown reference '{source}'")
        kind, _, rest = key.partition(".")
        if kind == "disorder" and rest.split(".")[0] not in kb.disorders:
            raise KnowledgeBaseError(where, key, "id", f"unknown disorder '{rest}'")


ELECTRODIAGNOSIS_FILE = "electrodiagnosis.yaml"
THRESHOLDS_FILE = "clinical_thresholds.yaml"
GENERALIZED_PATTERNS_FILE = "generalized_patterns.yaml"
_ELECTRODIAGNOSIS_SECTIONS: Mapping[str, type[BaseModel]] = {
    "aged_absence": AgedAbsence,
    "background_polyneuropathy": BackgroundPolyneuropathy,
}


def _required_file(root: Path, name: str) -> Path:
    path = root / name
    if not path.exists():
        raise KnowledgeBaseError(name, "-", "-", "no data file found")
    return path


def _load_electrodiagnosis(root: Path) -> Electrodiagnosis:
    """How each finding kind behaves (`electrodiagnosis.yaml`): required, one entry per kind.

    The engine's `FindingKind` is the vocabulary: a kind with no entry, or an entry for a kind
    the engine does not know, is a knowledge-base error here rather than a KeyError mid-case.
    """
    path = _required_file(root, ELECTRODIAGNOSIS_FILE)
    where = _relative(path, root)
    content = _read_yaml(path, root)
    if not isinstance(content, dict):
        raise KnowledgeBaseError(where, "-", "-", "expected a mapping of sections at the top level")
    known = {"finding_kinds", *_ELECTRODIAGNOSIS_SECTIONS}
    for section in content:
        if section not in known:
            raise KnowledgeBaseError(where, str(section), "-", "unknown section")
    raw_kinds = content.get("finding_kinds")
    if not isinstance(raw_kinds, list):
        raise KnowledgeBaseError(where, "finding_kinds", "-", "expected a list of finding kinds")
    kinds: dict[str, FindingKindParameters] = {}
    vocabulary = {kind.value for kind in FindingKind}
    for index, raw in enumerate(raw_kinds):
        kind = _validate(FindingKindParameters, raw, path, root, index)
        if kind.id in kinds:
            raise KnowledgeBaseError(where, kind.id, "id", "duplicate id")
        if kind.id not in vocabulary:
            raise KnowledgeBaseError(where, kind.id, "id", "not a finding kind the engine uses")
        kinds[kind.id] = kind
    for missing in sorted(vocabulary - set(kinds)):
        raise KnowledgeBaseError(where, missing, "id", "missing: the engine needs this kind")
    sections: dict[str, BaseModel] = {}
    for name, model in _ELECTRODIAGNOSIS_SECTIONS.items():
        if name not in content:
            raise KnowledgeBaseError(where, name, "-", "missing section")
        sections[name] = _validated(model, content[name], where, name)
    return Electrodiagnosis.model_validate({"finding_kinds": kinds, **sections})


def _load_thresholds(root: Path, origins: Origins) -> ClinicalThresholds:
    """The cut-offs the engine reads by name (`clinical_thresholds.yaml`): required, complete."""
    path = _required_file(root, THRESHOLDS_FILE)
    where = _relative(path, root)
    entries = _collect(ClinicalThreshold, [path], root, origins)
    wanted = set(ClinicalThresholds.model_fields)
    for key in entries:
        if key not in wanted:
            raise KnowledgeBaseError(where, key, "id", "not a threshold the engine uses")
    for missing in sorted(wanted - set(entries)):
        raise KnowledgeBaseError(where, missing, "id", "missing: the engine needs this threshold")
    return ClinicalThresholds.model_validate(entries)


def _load_generalized_patterns(root: Path, origins: Origins) -> dict[str, GeneralizedPattern]:
    """The mimics the engine models (`generalized_patterns.yaml`): required, complete.

    Every pattern the engine ranks (`GENERALIZED_PATTERNS`) needs one entry, and every entry an
    effect for every finding kind the engine uses, so a gap is a knowledge-base error naming
    the pattern and the kind rather than a silent zero in the likelihood tables.
    """
    path = _required_file(root, GENERALIZED_PATTERNS_FILE)
    where = _relative(path, root)
    patterns = _collect(GeneralizedPattern, [path], root, origins)
    for key in patterns:
        if key not in GENERALIZED_PATTERNS:
            raise KnowledgeBaseError(where, key, "id", "not a generalized pattern the engine ranks")
    for missing in [key for key in GENERALIZED_PATTERNS if key not in patterns]:
        raise KnowledgeBaseError(where, missing, "id", "missing: the engine needs this pattern")
    vocabulary = [kind.value for kind in FindingKind]
    for key, pattern in patterns.items():
        for field, named in (
            ("effects", pattern.effects),
            ("paraspinal_effects", pattern.paraspinal_effects),
        ):
            for kind in named:
                if kind not in vocabulary:
                    problem = "not a finding kind the engine uses"
                    raise KnowledgeBaseError(where, key, f"{field}.{kind}", problem)
        for kind in vocabulary:
            if kind not in pattern.effects:
                problem = "missing: state an effect for every finding kind (0 for none)"
                raise KnowledgeBaseError(where, key, f"effects.{kind}", problem)
    return patterns


def _check_engine_parameter_sources(kb: KnowledgeBase, origins: Origins) -> None:
    electrodiagnosis = f"data/{ELECTRODIAGNOSIS_FILE}"
    for entry, field, source in kb.electrodiagnosis.all_sources:
        if source not in kb.references:
            problem = f"unknown reference '{source}'"
            raise KnowledgeBaseError(electrodiagnosis, entry, field, problem)
    for threshold in kb.thresholds.entries():
        for source in threshold.sources:
            if source not in kb.references:
                where = origins.get(("ClinicalThreshold", threshold.id), THRESHOLDS_FILE)
                problem = f"unknown reference '{source}'"
                raise KnowledgeBaseError(where, threshold.id, "sources", problem)
    for pattern in kb.generalized_patterns.values():
        for source in pattern.sources:
            if source not in kb.references:
                where = origins.get(("GeneralizedPattern", pattern.id), GENERALIZED_PATTERNS_FILE)
                problem = f"unknown reference '{source}'"
                raise KnowledgeBaseError(where, pattern.id, "sources", problem)


TEST_COSTS_FILE = "test_costs.yaml"


def _load_test_costs(root: Path, origins: Origins) -> TestCosts:
    """What each plannable test costs (`test_costs.yaml`); optional, like the triage file."""
    path = root / TEST_COSTS_FILE
    if not path.exists():
        return TestCosts()
    entries = tuple(_collect(TestCost, [path], root, origins).values())
    return _validated(TestCosts, {"entries": entries}, _relative(path, root), "test_costs")


def _check_test_costs(kb: KnowledgeBase, origins: Origins) -> None:
    """Every cost entry cites known references and names targets of its own kind."""
    known: Mapping[str, Mapping[str, object]] = {
        "needle_emg": kb.muscles,
        "strength": kb.muscles,
        "nerve_conduction": kb.studies,
        "reflex": kb.reflexes,
        "sensation": kb.sensory_areas,
    }
    for entry in kb.test_costs.entries:
        where = origins.get(("TestCost", entry.id), f"data/{TEST_COSTS_FILE}")
        for source in entry.sources:
            if source not in kb.references:
                problem = f"unknown reference '{source}'"
                raise KnowledgeBaseError(where, entry.id, "sources", problem)
        for target in entry.targets:
            if target not in known[entry.kind]:
                problem = f"'{target}' is not a target of a {entry.kind.replace('_', ' ')} test"
                raise KnowledgeBaseError(where, entry.id, "targets", problem)


SITE_AND_CAUSE_FILE = "site_and_cause.yaml"


def _load_site_and_cause(root: Path) -> SiteAndCause:
    """How site and cause are reasoned together (`site_and_cause.yaml`): required."""
    path = _required_file(root, SITE_AND_CAUSE_FILE)
    return _validated(SiteAndCause, _read_yaml(path, root), _relative(path, root), "site_and_cause")


def _check_site_and_cause(kb: KnowledgeBase) -> None:
    """Every source, feature, disorder and lesion site the joint model's file names exists."""
    where = f"data/{SITE_AND_CAUSE_FILE}"
    joint = kb.site_and_cause
    for entry, source in joint.all_sources:
        if source not in kb.references:
            raise KnowledgeBaseError(where, entry, "sources", f"unknown reference '{source}'")
    for entry, feature in joint.features_named:
        if feature not in kb.etiology_features:
            raise KnowledgeBaseError(where, entry, "feature", f"unknown feature '{feature}'")
    named = [(f"requirements.{r.disorder}", r.disorder) for r in joint.requirements]
    named += [(f"imaging_kinds.{k.kind}", d) for k in joint.imaging_kinds for d in k.causes]
    for entry, disorder in named:
        if disorder not in kb.disorders:
            raise KnowledgeBaseError(where, entry, "disorder", f"unknown disorder '{disorder}'")
    sites = {key for key, structure in kb.structures.items() if structure.lesion_site}
    sites.update(COMPOSITE_LESIONS, GENERALIZED_PATTERNS)
    kinds = {kind.kind for kind in joint.imaging_kinds}
    for location in joint.imaging_locations:
        entry = f"imaging_locations.{location.id}"
        for site in location.sites:
            if site not in sites:
                raise KnowledgeBaseError(where, entry, "sites", f"unknown lesion '{site}'")
        for kind in location.kinds:
            if kind not in kinds:
                raise KnowledgeBaseError(where, entry, "kinds", f"unknown imaging kind '{kind}'")


def _check_study_links(kb: KnowledgeBase, origins: Origins) -> None:
    """A block segment names structures of the graph on the study's own fibre path; a late
    response's `motor_study` is a CMAP study."""
    for key, study in kb.studies.items():
        where = origins.get(("NerveConductionStudy", key), "anatomy/studies")
        path = set().union(*(ancestors(kb.structures, nerve) for nerve in study.nerves))
        for index, segment in enumerate(study.segments):
            for structure in segment.structures:
                if structure not in path:
                    known = "on the study's fibre path" if structure in kb.structures else ""
                    problem = f"structure '{structure}' is not {known or 'known'}"
                    raise KnowledgeBaseError(where, key, f"segments.{index}.structures", problem)
        linked = kb.studies.get(study.motor_study) if study.motor_study else None
        if study.motor_study and (linked is None or linked.modality != "cmap"):
            problem = f"'{study.motor_study}' is not a motor (CMAP) study"
            raise KnowledgeBaseError(where, key, "motor_study", problem)


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """The packaged knowledge base, loaded once per process."""
    return load_knowledge_base()
