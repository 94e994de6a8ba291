"""How site and cause are reasoned together, as the knowledge base states it.

`data/site_and_cause.yaml` holds what the joint model of lesion site and cause needs beyond the
disorders' own priors, site shares and feature frequencies (engine/site_and_cause.py):

- ``tempering``: the exponents that keep a naive product of correlated findings honest, each
  fitted on a synthetic set drawn from a richer generative model (a calibration device, cited);
- ``site_leak``: how often a cause produces a lesion at a site it does not list;
- ``site_borne_features``: cause features whose evidence the site model already scores
  (symptoms in both legs, sphincter failure), so the cause model leaves them out;
- ``feature_groups``: features read from one fact (onset tempo, pain score), counted once;
- ``nested_features``: features that imply another (a supratherapeutic INR implies an
  anticoagulant), scored conditionally so the shared part is not counted twice;
- ``requirements``: facts without which a cause cannot be (a delivery for an obstetric injury,
  radiotherapy for a radiation plexopathy), with how often they go unrecorded when present;
- ``imaging_kinds`` and ``imaging_locations``: which causes make each imaging finding at the
  lesion itself, and which lesion sites a finding at a named place can produce, read as the
  likelihood P(imaging finding | site, cause);
- ``imaging_regions``: which finding kinds a study of each region can show, so a finding not
  reported counts as absent only where the study looked;
- ``radiotherapy_field``: the regions treated whose field holds the lumbosacral plexus.

The models repeat the knowledge base's base settings (frozen, no unknown keys) rather than
importing them, so `model.KnowledgeBase` can import them without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "CauseRequirement",
    "FeatureGroup",
    "ImagingKind",
    "ImagingLocation",
    "ImagingRegion",
    "LocationLikelihood",
    "NestedFeature",
    "RadiotherapyField",
    "SiteAndCause",
    "SiteBorneFeature",
    "SiteLeak",
    "Tempering",
    "neutral_site_and_cause",
]

ParameterId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Word = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9 \-]*$", max_length=40)]
Sources = Annotated[tuple[ParameterId, ...], Field(min_length=1)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tempering(_Record):
    """How correlated findings are counted, and exponents on each body of evidence.

    Findings that travel together are not independent. Within one end organ (fibrillations,
    neurogenic units and weakness of one muscle) and among the end organs of one nerve, each
    finding counts as its share of the group's effective number of independent findings,
    1 / (1 + rho (n - 1)) for n findings with correlation rho (``within_end_organ``,
    ``within_nerve``); what correlation remains (weight loss with a cancer, a misspecified
    figure) is the exponent on each body of evidence (a power likelihood; 1 = a plain product).
    ``note`` says how the figures were fitted and what they did to calibration.
    """

    electrodiagnosis: float = Field(gt=0.0, le=1.0)
    history: float = Field(gt=0.0, le=1.0)
    imaging: float = Field(gt=0.0, le=1.0)
    within_end_organ: Share = 0.0
    within_nerve: Share = 0.0
    note: str = Field(min_length=20)
    sources: Sources


class SiteLeak(_Record):
    """The share of a neural cause's lesions at sites it does not list, spread evenly."""

    share: Share
    note: str = ""
    sources: Sources


class SiteBorneFeature(_Record):
    """A cause feature the site model already scores from the same facts."""

    feature: ParameterId
    scored_as: str = Field(min_length=5)
    sources: Sources


class FeatureGroup(_Record):
    """Features derived from one fact: at most one is present, and the fact counts once.

    ``exhaustive``: one member is always present when the fact is known (onset tempo); if not,
    the fact's remaining value has the probability left over (a moderate pain score).
    """

    id: ParameterId
    members: tuple[ParameterId, ...] = Field(min_length=2)
    exhaustive: bool
    sources: Sources


class NestedFeature(_Record):
    """``feature`` is present only with ``given`` (an INR above range needs an anticoagulant)."""

    feature: ParameterId
    given: ParameterId
    note: str = ""
    sources: Sources


class CauseRequirement(_Record):
    """A fact a cause cannot be without.

    Recorded as absent, the cause is excluded; not recorded at all, it is multiplied by
    ``unrecorded``: how often the fact is present but missing from the record.
    """

    disorder: ParameterId
    feature: ParameterId
    unrecorded: Share
    note: str = ""
    sources: Sources


class ImagingKind(_Record):
    """An imaging finding kind of the case, the feature it stands for, and where it lies.

    ``causes``: disorders whose lesion this finding is; under them it lies at the lesion
    (matching its site and side) with probability ``at_lesion``. Under any other cause it is
    incidental, and its place says nothing about the site.
    """

    kind: ParameterId
    feature: ParameterId
    at_lesion: Share
    causes: tuple[ParameterId, ...] = ()
    note: str = ""
    sources: Sources


class ImagingLocation(_Record):
    """A place an imaging finding can name, and the lesion sites a finding there produces.

    A finding's free-text level matches when it contains one of ``words`` (after lowercasing
    and writing "/" and spaces as "-", so "L4/5" reads "l4-5") and, if ``qualifiers`` are given,
    one of them too, and, if ``kinds`` are given, the finding is of one of those kinds. The
    first matching entry in file order wins, so specific entries (a foraminal disc, a stenosis)
    come before general ones (a disc at that level).
    """

    id: ParameterId
    words: tuple[Word, ...] = Field(min_length=1)
    qualifiers: tuple[Word, ...] = ()
    kinds: tuple[ParameterId, ...] = ()
    sites: tuple[ParameterId, ...] = Field(min_length=1)
    note: str = ""
    sources: Sources


class ImagingRegion(_Record):
    """A region a study can image and the finding kinds it can show (or exclude).

    A lumbar spine MRI shows discs, stenosis and the roots but not the pelvis, so a normal one
    says nothing of a pelvic mass; a pelvic CT shows masses, nodes and haematomas, not discs.
    """

    region: ParameterId
    kinds: tuple[ParameterId, ...] = Field(min_length=1)
    note: str = ""
    sources: Sources


class RadiotherapyField(_Record):
    """The treated regions (`Radiotherapy.region` of a case) whose field holds the plexus."""

    regions: tuple[ParameterId, ...] = Field(min_length=1)
    note: str = ""
    sources: Sources


class LocationLikelihood(_Record):
    """Likelihood ratios of a finding's place and side, at the lesion against incidental.

    ``match``: the finding's place is one that produces the site; ``mismatch``: it is not.
    ``side_match`` / ``side_mismatch``: the finding's side is the lesion's, or the other one.
    """

    match: float = Field(gt=1.0, le=100.0)
    mismatch: float = Field(gt=0.0, lt=1.0)
    side_match: float = Field(gt=1.0, le=10.0)
    side_mismatch: float = Field(gt=0.0, lt=1.0)
    note: str = ""
    sources: Sources


class SiteAndCause(_Record):
    """Everything `site_and_cause.yaml` says (see the module docstring)."""

    tempering: Tempering
    site_leak: SiteLeak
    site_borne_features: tuple[SiteBorneFeature, ...] = ()
    feature_groups: tuple[FeatureGroup, ...] = ()
    nested_features: tuple[NestedFeature, ...] = ()
    requirements: tuple[CauseRequirement, ...] = ()
    imaging_kinds: tuple[ImagingKind, ...] = ()
    imaging_locations: tuple[ImagingLocation, ...] = ()
    imaging_regions: tuple[ImagingRegion, ...] = ()
    radiotherapy_field: RadiotherapyField | None = None
    location_likelihood: LocationLikelihood

    def kinds_shown(self, regions: frozenset[str | None]) -> frozenset[str] | None:
        """The finding kinds studies of these regions can show; None when any study's region
        is not given or not listed (then the study is taken to show every kind)."""
        shown = self._kinds_by_region
        if not regions or any(region not in shown for region in regions):
            return None
        return frozenset(kind for region in regions for kind in shown[str(region)])

    @cached_property
    def _kinds_by_region(self) -> dict[str, tuple[str, ...]]:
        return {entry.region: entry.kinds for entry in self.imaging_regions}

    @model_validator(mode="after")
    def _each_feature_in_one_group(self) -> SiteAndCause:
        grouped = [member for group in self.feature_groups for member in group.members]
        if len(grouped) != len(set(grouped)):
            raise ValueError("a feature belongs to at most one feature group")
        kinds = [entry.kind for entry in self.imaging_kinds]
        if len(kinds) != len(set(kinds)):
            raise ValueError("each imaging kind is listed once")
        return self

    @property
    def features_named(self) -> Iterator[tuple[str, str]]:
        """(where, feature id) for every etiology feature the file names."""
        for borne in self.site_borne_features:
            yield "site_borne_features", borne.feature
        for group in self.feature_groups:
            for member in group.members:
                yield f"feature_groups.{group.id}", member
        for nested in self.nested_features:
            yield "nested_features", nested.feature
            yield "nested_features", nested.given
        for requirement in self.requirements:
            yield f"requirements.{requirement.disorder}", requirement.feature
        for kind in self.imaging_kinds:
            yield f"imaging_kinds.{kind.kind}", kind.feature

    @property
    def all_sources(self) -> Iterator[tuple[str, str]]:
        """(entry, source id) for every citation in the file."""
        records: list[tuple[str, tuple[str, ...]]] = [
            ("tempering", self.tempering.sources),
            ("site_leak", self.site_leak.sources),
            ("location_likelihood", self.location_likelihood.sources),
            *((f"site_borne_features.{b.feature}", b.sources) for b in self.site_borne_features),
            *((f"feature_groups.{g.id}", g.sources) for g in self.feature_groups),
            *((f"nested_features.{n.feature}", n.sources) for n in self.nested_features),
            *((f"requirements.{r.disorder}", r.sources) for r in self.requirements),
            *((f"imaging_kinds.{k.kind}", k.sources) for k in self.imaging_kinds),
            *((f"imaging_locations.{p.id}", p.sources) for p in self.imaging_locations),
            *((f"imaging_regions.{r.region}", r.sources) for r in self.imaging_regions),
        ]
        if self.radiotherapy_field is not None:
            records.append(("radiotherapy_field", self.radiotherapy_field.sources))
        for entry, sources in records:
            for source in sources:
                yield entry, source


def neutral_site_and_cause() -> SiteAndCause:
    """The plain product: no tempering, no leak, no groups, requirements or imaging places.

    The default of a knowledge base assembled by hand without `site_and_cause.yaml` (a small
    test knowledge base); the loader always reads the file, with its sources checked.
    """
    plain = ("plain_product",)
    return SiteAndCause.model_construct(
        tempering=Tempering.model_construct(
            electrodiagnosis=1.0,
            history=1.0,
            imaging=1.0,
            within_end_organ=0.0,
            within_nerve=0.0,
            note="",
            sources=plain,
        ),
        site_leak=SiteLeak.model_construct(share=0.0, note="", sources=plain),
        site_borne_features=(),
        feature_groups=(),
        nested_features=(),
        requirements=(),
        imaging_kinds=(),
        imaging_locations=(),
        imaging_regions=(),
        radiotherapy_field=None,
        location_likelihood=LocationLikelihood.model_construct(
            match=1.0 + 1e-9,
            mismatch=1.0 - 1e-9,
            side_match=1.0 + 1e-9,
            side_mismatch=1.0 - 1e-9,
            note="",
            sources=plain,
        ),
    )
