"""CDS Hooks 2.0 request and response shapes (pydantic): what an EHR sends and what we answer.

The response models hold the spec's own limits (a card summary of at most 140 characters, an
indicator of info, warning or critical, a source with a label, a selection behaviour whenever
there are suggestions), so an answer that broke them would fail here, before it left.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Indicator = Literal["info", "warning", "critical"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """EHRs may add fields the spec allows (extensions); we keep them out of our way."""

    model_config = ConfigDict(extra="allow")


class HookRequest(Open):
    hook: str = Field(min_length=1, max_length=80)
    hookInstance: str = Field(min_length=1, max_length=80)
    fhirServer: str | None = Field(default=None, max_length=2000)
    fhirAuthorization: dict[str, Any] | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None


class Source(Strict):
    label: str = Field(min_length=1, max_length=200)
    url: str | None = None
    topic: dict[str, Any] | None = None


class Action(Strict):
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(Strict):
    label: str = Field(min_length=1, max_length=200)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] = Field(default_factory=list)


class Link(Strict):
    label: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Card(Strict):
    uuid: str
    summary: str = Field(min_length=1, max_length=140)
    detail: str | None = None
    indicator: Indicator
    source: Source
    suggestions: list[Suggestion] = Field(default_factory=list)
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    links: list[Link] = Field(default_factory=list)

    @model_validator(mode="after")
    def _selection_with_suggestions(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("a card with suggestions says its selectionBehavior")
        return self


class CardsResponse(Strict):
    cards: list[Card]


class ServiceDefinition(Strict):
    hook: str
    title: str
    description: str
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    prefetch: dict[str, str] = Field(default_factory=dict)
    usageRequirements: str | None = None


class Discovery(Strict):
    services: list[ServiceDefinition]


class AcceptedSuggestion(Strict):
    id: str = Field(min_length=1, max_length=80)


class OverrideReason(Open):
    reason: dict[str, Any] | None = None
    userComment: str | None = Field(default=None, max_length=2000)


class FeedbackItem(Open):
    card: str = Field(min_length=1, max_length=80)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] = Field(default_factory=list)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: str = Field(min_length=1, max_length=40)


class FeedbackRequest(Strict):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=50)
