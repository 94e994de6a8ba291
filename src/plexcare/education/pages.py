"""Public HTML pages that explain lumbosacral plexopathy to patients and families.

These routes are deliberately public (no role needed): they show only the cited, plain-language
content of the knowledge base. Each route builds one typed page context (see `views`) and
renders one template, so what a page shows is decided here and in `views`, never in a template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from plexcare.config import get_settings
from plexcare.education import views
from plexcare.education.contact import contact_details
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.rendering import templates

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(knowledge_base)]

router = APIRouter(tags=["education"], include_in_schema=False, default_response_class=HTMLResponse)
router.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")


def _render(
    request: Request,
    template: str,
    page: views.EducationPage | views.ContactPage,
    status_code: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"page": page}, status_code=status_code)


@router.get("/", name="home")
async def home(request: Request, kb: KnowledgeBaseDep) -> HTMLResponse:
    contact = contact_details(get_settings())
    return _render(request, "education/home.html", views.home_page(kb, contact))


@router.get("/contact", name="contact")
async def contact(request: Request) -> HTMLResponse:
    page = views.contact_page(contact_details(get_settings()))
    return _render(request, "education/contact.html", page)


@router.get("/condition", name="condition_overview")
async def condition_overview(request: Request, kb: KnowledgeBaseDep) -> HTMLResponse:
    return _render(request, "education/overview.html", views.overview_page(kb))


@router.get("/condition/faq", name="condition_faq")
async def condition_faq(request: Request, kb: KnowledgeBaseDep) -> HTMLResponse:
    return _render(request, "education/faq.html", views.faq_page(kb))


@router.get("/condition/sources", name="condition_sources")
async def condition_sources(request: Request, kb: KnowledgeBaseDep) -> HTMLResponse:
    return _render(request, "education/sources.html", views.sources_page(kb))


@router.get("/condition/{section_id}", name="condition_section")
async def condition_section(
    request: Request, section_id: str, kb: KnowledgeBaseDep
) -> HTMLResponse:
    page = views.section_page(kb, section_id)
    if page is None:
        missing = views.not_found_page(kb, section_id)
        return _render(request, "education/not_found.html", missing, status_code=404)
    return _render(request, "education/section.html", page)
