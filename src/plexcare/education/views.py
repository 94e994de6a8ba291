"""What each patient education page shows, built from the knowledge base with no web code.

Every page renders exactly one of the frozen contexts below, so a template can only show what
was deliberately put in front of it, and the tests can check a page's content without HTML.
Citations are numbered per page, in the order the page first cites them, so the footnote list
at the bottom of each page matches the markers beside the text it supports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from plexcare.education.contact import CallToAction, ContactDetails, calls_to_action
from plexcare.knowledge.model import EducationSection, FaqEntry, KnowledgeBase, Reference

URGENT_SECTION_ID = "urgent_care"
"""The section shown in the urgent-help box; the knowledge test checks that it exists."""

RESERVED_SECTION_IDS = frozenset({"faq", "sources"})
"""Addresses under /condition/ that are pages of their own, so no section may take them."""

FAQ_TOPIC_LABELS: dict[str, str] = {
    "urgent": "When to get urgent help",
    "symptoms": "Symptoms",
    "causes": "Causes",
    "risk_factors": "Risk factors",
    "diagnosis": "Diagnosis and tests",
    "treatment": "Treatment",
    "recovery": "Recovery",
    "other": "Other questions",
}
"""FAQ topics in the order a worried reader needs them: urgent signs first."""


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Citation:
    """One numbered footnote: a reference as the reader sees it."""

    number: int
    reference_id: str
    text: str
    link: str | None


@dataclass(frozen=True)
class SectionLink:
    id: str
    title: str
    href: str


@dataclass(frozen=True)
class SectionView:
    id: str
    title: str
    paragraphs: tuple[str, ...]
    citation_numbers: tuple[int, ...]


@dataclass(frozen=True)
class FaqAnswer:
    id: str
    question: str
    answer: str
    citation_numbers: tuple[int, ...]


@dataclass(frozen=True)
class FaqTopic:
    id: str
    label: str
    entries: tuple[FaqAnswer, ...]


@dataclass(frozen=True)
class HomePage:
    title: str
    nav: tuple[NavLink, ...]
    sections: tuple[SectionLink, ...]
    urgent: SectionView
    footnotes: tuple[Citation, ...]
    actions: tuple[CallToAction, ...] = ()
    contact: ContactDetails | None = None


@dataclass(frozen=True)
class ContactPage:
    """Where and when to reach the clinic, and what to do when it is closed."""

    title: str
    nav: tuple[NavLink, ...]
    contact: ContactDetails
    footnotes: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class OverviewPage:
    title: str
    nav: tuple[NavLink, ...]
    sections: tuple[SectionLink, ...]
    introduction: SectionView
    urgent: SectionView
    footnotes: tuple[Citation, ...]


@dataclass(frozen=True)
class SectionPage:
    title: str
    nav: tuple[NavLink, ...]
    sections: tuple[SectionLink, ...]
    section: SectionView
    previous: SectionLink | None
    next: SectionLink | None
    footnotes: tuple[Citation, ...]


@dataclass(frozen=True)
class FaqPage:
    title: str
    nav: tuple[NavLink, ...]
    topics: tuple[FaqTopic, ...]
    footnotes: tuple[Citation, ...]


@dataclass(frozen=True)
class SourcesPage:
    """Every reference the education content cites; the list itself is the page's footnotes."""

    title: str
    nav: tuple[NavLink, ...]
    footnotes: tuple[Citation, ...]


@dataclass(frozen=True)
class NotFoundPage:
    title: str
    nav: tuple[NavLink, ...]
    message: str
    sections: tuple[SectionLink, ...]
    footnotes: tuple[Citation, ...] = ()


EducationPage = HomePage | OverviewPage | SectionPage | FaqPage | SourcesPage | NotFoundPage
"""The one typed context a template receives, as `page`."""


def section_href(section_id: str) -> str:
    return f"/condition/{section_id}"


def _reference_link(reference: Reference) -> str | None:
    if reference.doi:
        return f"https://doi.org/{reference.doi}"
    if reference.pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{reference.pmid}/"
    return reference.url


class _Footnotes:
    """Numbers references in order of first citation on one page."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._numbers: dict[str, int] = {}

    def cite(self, sources: Iterable[str]) -> tuple[int, ...]:
        numbers: list[int] = []
        for source in sources:
            number = self._numbers.setdefault(source, len(self._numbers) + 1)
            if number not in numbers:
                numbers.append(number)
        return tuple(numbers)

    def citations(self) -> tuple[Citation, ...]:
        result: list[Citation] = []
        for reference_id, number in self._numbers.items():
            reference = self._kb.references[reference_id]
            result.append(
                Citation(
                    number=number,
                    reference_id=reference_id,
                    text=reference.citation,
                    link=_reference_link(reference),
                )
            )
        return tuple(result)


def _navigation(current: str) -> tuple[NavLink, ...]:
    links = (
        ("Home", "/"),
        ("About the condition", "/condition"),
        ("Questions and answers", "/condition/faq"),
        ("Sources", "/condition/sources"),
        ("Urgent help", section_href(URGENT_SECTION_ID)),
    )
    return tuple(NavLink(label, href, href == current) for label, href in links)


def _section_links(kb: KnowledgeBase) -> tuple[SectionLink, ...]:
    return tuple(
        SectionLink(section.id, section.title, section_href(section.id))
        for section in kb.education.sections
    )


def _section_view(section: EducationSection, footnotes: _Footnotes) -> SectionView:
    return SectionView(
        id=section.id,
        title=section.title,
        paragraphs=section.paragraphs,
        citation_numbers=footnotes.cite(section.sources),
    )


def _find_section(kb: KnowledgeBase, section_id: str) -> EducationSection | None:
    return next((s for s in kb.education.sections if s.id == section_id), None)


def _urgent_section(kb: KnowledgeBase) -> EducationSection:
    section = _find_section(kb, URGENT_SECTION_ID)
    if section is None:
        raise LookupError(f"education.yaml has no '{URGENT_SECTION_ID}' section")
    return section


def home_page(kb: KnowledgeBase, contact: ContactDetails | None = None) -> HomePage:
    """The condition's front door, opening with the clinic's calls to action when the clinic's
    contact details are known (the web page always passes them)."""
    footnotes = _Footnotes(kb)
    urgent = _section_view(_urgent_section(kb), footnotes)
    return HomePage(
        title="plexcare: help with lumbosacral plexopathy",
        nav=_navigation("/"),
        sections=_section_links(kb),
        urgent=urgent,
        footnotes=footnotes.citations(),
        actions=calls_to_action(contact) if contact is not None else (),
        contact=contact,
    )


def contact_page(contact: ContactDetails) -> ContactPage:
    return ContactPage(
        title=f"Contact {contact.clinic_name}", nav=_navigation("/contact"), contact=contact
    )


def overview_page(kb: KnowledgeBase) -> OverviewPage:
    footnotes = _Footnotes(kb)
    urgent = _section_view(_urgent_section(kb), footnotes)
    introduction = _section_view(kb.education.sections[0], footnotes)
    return OverviewPage(
        title="Lumbosacral plexopathy: an overview",
        nav=_navigation("/condition"),
        sections=_section_links(kb),
        introduction=introduction,
        urgent=urgent,
        footnotes=footnotes.citations(),
    )


def section_page(kb: KnowledgeBase, section_id: str) -> SectionPage | None:
    """The page for one section, or None when the knowledge base has no such section."""
    sections = kb.education.sections
    index = next((i for i, s in enumerate(sections) if s.id == section_id), None)
    if index is None:
        return None
    footnotes = _Footnotes(kb)
    section = _section_view(sections[index], footnotes)
    links = _section_links(kb)
    return SectionPage(
        title=section.title,
        nav=_navigation(section_href(section_id)),
        sections=links,
        section=section,
        previous=links[index - 1] if index > 0 else None,
        next=links[index + 1] if index + 1 < len(links) else None,
        footnotes=footnotes.citations(),
    )


def _faq_answer(entry: FaqEntry, footnotes: _Footnotes) -> FaqAnswer:
    return FaqAnswer(
        id=entry.id,
        question=entry.question,
        answer=entry.answer,
        citation_numbers=footnotes.cite(entry.sources),
    )


def faq_page(kb: KnowledgeBase) -> FaqPage:
    footnotes = _Footnotes(kb)
    topics: list[FaqTopic] = []
    for topic, label in FAQ_TOPIC_LABELS.items():
        entries = tuple(
            _faq_answer(entry, footnotes) for entry in kb.education.faq if entry.topic == topic
        )
        if entries:
            topics.append(FaqTopic(id=topic, label=label, entries=entries))
    return FaqPage(
        title="Questions and answers",
        nav=_navigation("/condition/faq"),
        topics=tuple(topics),
        footnotes=footnotes.citations(),
    )


def sources_page(kb: KnowledgeBase) -> SourcesPage:
    footnotes = _Footnotes(kb)
    for record in (*kb.education.sections, *kb.education.faq):
        footnotes.cite(record.sources)
    return SourcesPage(
        title="Sources",
        nav=_navigation("/condition/sources"),
        footnotes=footnotes.citations(),
    )


def not_found_page(kb: KnowledgeBase, section_id: str) -> NotFoundPage:
    """A helpful dead end: what was asked for (shortened, it is user input) and where to go."""
    asked = section_id if len(section_id) <= 60 else f"{section_id[:60]}…"
    return NotFoundPage(
        title="Page not found",
        nav=_navigation(""),
        message=f'There is no page called "{asked}" about lumbosacral plexopathy.',
        sections=_section_links(kb),
    )
