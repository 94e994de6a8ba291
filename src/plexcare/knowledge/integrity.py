"""Cross-checks that no single entry can make on its own.

Each check answers a question a reviewing clinician would ask: does every citation exist,
does every nerve a muscle names exist, can the fibres of each root a muscle lists actually
reach it through the plexus graph, does every disorder point at things we know about.
"""

from __future__ import annotations

from collections.abc import Iterable

from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.model import (
    COMPOSITE_LESIONS,
    GENERALIZED_PATTERNS,
    EducationSection,
    FaqEntry,
    KnowledgeBase,
    RootContribution,
    Sourced,
    Structure,
    StructureKind,
)

Origins = dict[tuple[str, str], str]
EndOrganSupply = tuple[tuple[str, ...], tuple[RootContribution, ...]]


def _fail(origins: Origins, kind: str, entry: str, field: str, problem: str) -> None:
    raise KnowledgeBaseError(origins.get((kind, entry), kind), entry, field, problem)


def ancestors(structures: dict[str, Structure], start: str) -> set[str]:
    """Every structure whose fibres can flow into `start`, including `start` itself."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(structures[node].parents)
    return seen


def root_structure_id(root: str) -> str:
    return f"root_{root.lower()}"


def _check_sources(kb: KnowledgeBase, origins: Origins) -> None:
    groups: Iterable[tuple[str, dict[str, Sourced]]] = (
        ("Structure", dict(kb.structures)),
        ("Muscle", dict(kb.muscles)),
        ("SensoryArea", dict(kb.sensory_areas)),
        ("Reflex", dict(kb.reflexes)),
        ("NerveConductionStudy", dict(kb.studies)),
        ("EtiologyFeature", dict(kb.etiology_features)),
        ("Test", dict(kb.tests)),
        ("Treatment", dict(kb.treatments)),
        ("Disorder", dict(kb.disorders)),
    )
    for kind, records in groups:
        for key, record in records.items():
            for nested_field, nested in _sourced_parts(record):
                for source in nested.sources:
                    if source not in kb.references:
                        _fail(origins, kind, key, nested_field, f"unknown reference '{source}'")
    education: list[EducationSection | FaqEntry] = [*kb.education.sections, *kb.education.faq]
    for section in education:
        for source in section.sources:
            if source not in kb.references:
                _fail(origins, "Education", section.id, "sources", f"unknown reference '{source}'")


def _sourced_parts(record: Sourced) -> Iterable[tuple[str, Sourced]]:
    yield "sources", record
    for name in type(record).model_fields:
        value = getattr(record, name)
        if isinstance(value, tuple):
            for index, item in enumerate(value):
                if isinstance(item, Sourced):
                    yield f"{name}.{index}.sources", item


def _check_graph(kb: KnowledgeBase, origins: Origins) -> None:
    for key, structure in kb.structures.items():
        for parent in structure.parents:
            if parent not in kb.structures:
                _fail(origins, "Structure", key, "parents", f"unknown structure '{parent}'")
        if structure.kind is StructureKind.ROOT and structure.parents:
            _fail(origins, "Structure", key, "parents", "a root has no parents")
    for key in kb.structures:
        visiting: set[str] = set()
        node_stack = [(key, iter(kb.structures[key].parents))]
        visiting.add(key)
        while node_stack:
            node, parents = node_stack[-1]
            upstream = next(parents, None)
            if upstream is None:
                visiting.discard(node)
                node_stack.pop()
                continue
            if upstream in visiting:
                _fail(origins, "Structure", key, "parents", f"cycle through '{upstream}'")
            visiting.add(upstream)
            node_stack.append((upstream, iter(kb.structures[upstream].parents)))


def _check_end_organs(kb: KnowledgeBase, origins: Origins) -> None:
    groups: Iterable[tuple[str, dict[str, EndOrganSupply]]] = (
        ("Muscle", {k: (v.nerves, v.roots) for k, v in kb.muscles.items()}),
        ("SensoryArea", {k: (v.nerves, v.roots) for k, v in kb.sensory_areas.items()}),
        ("Reflex", {k: (v.nerves, v.roots) for k, v in kb.reflexes.items()}),
        ("NerveConductionStudy", {k: (v.nerves, v.roots) for k, v in kb.studies.items()}),
    )
    for kind, records in groups:
        for key, (nerves, roots) in records.items():
            for nerve in nerves:
                if nerve not in kb.structures:
                    _fail(origins, kind, key, "nerves", f"unknown structure '{nerve}'")
            if not roots and not nerves:
                continue  # outside the fibre graph: allowed only outside the leg (the model)
            reachable = set().union(*(ancestors(kb.structures, nerve) for nerve in nerves))
            if len({c.root for c in roots}) != len(roots):
                _fail(origins, kind, key, "roots", "a root is listed twice")
            if not any(c.share == "major" for c in roots):
                _fail(origins, kind, key, "roots", "at least one root must be a major contributor")
            for contribution in roots:
                root_id = root_structure_id(contribution.root)
                if root_id not in reachable:
                    _fail(
                        origins,
                        kind,
                        key,
                        "roots",
                        f"root {contribution.root} does not reach {', '.join(nerves)} in the graph",
                    )


def _check_disorders(kb: KnowledgeBase, origins: Origins) -> None:
    candidates = {k for k, s in kb.structures.items() if s.lesion_site}
    candidates.update(COMPOSITE_LESIONS, GENERALIZED_PATTERNS)
    for key, disorder in kb.disorders.items():
        for index, site in enumerate(disorder.localizations):
            if site not in candidates:
                _fail(
                    origins, "Disorder", key, f"localizations.{index}", f"unknown lesion '{site}'"
                )
        for index, feature in enumerate(disorder.features):
            if feature.feature not in kb.etiology_features:
                _fail(
                    origins,
                    "Disorder",
                    key,
                    f"features.{index}.feature",
                    f"unknown feature '{feature.feature}'",
                )
        for index, item in enumerate(disorder.workup):
            if item.test not in kb.tests:
                problem = f"unknown test '{item.test}'"
                _fail(origins, "Disorder", key, f"workup.{index}.test", problem)
        for index, use in enumerate(disorder.treatments):
            if use.treatment not in kb.treatments:
                _fail(
                    origins,
                    "Disorder",
                    key,
                    f"treatments.{index}.treatment",
                    f"unknown treatment '{use.treatment}'",
                )


def check_integrity(kb: KnowledgeBase, origins: Origins) -> None:
    """Raise `KnowledgeBaseError` at the first cross-reference that does not hold."""
    _check_sources(kb, origins)
    _check_graph(kb, origins)
    _check_end_organs(kb, origins)
    _check_disorders(kb, origins)
