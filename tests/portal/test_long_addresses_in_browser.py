"""Every page that shows a patient's e-mail address, as the role that sees it, in Debian's
Chromium at 390 and 1280 px: a long address breaks after its @ or before a dot, and one too long
to fit even then breaks anyway, rather than push the page past the screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from plexcare.accounts.roles import Role
from plexcare.db import session_factory
from tests.browser import broken_as_an_address, chromium, laid_out, served, sign_in
from tests.conftest_db import SmallClinic, add_user, empty_tables, make_app

pytestmark = pytest.mark.browser
DOTTED = "bartholomew.featherstonehaughollivander@physiotherapy.clinic.example"
"""68 letters, with dots to break before."""
UNDOTTED = "featherstonehaughollivanderbartholomewphysio@clinic.example"
"""A part of 44 letters with nothing to break at."""


@pytest.fixture(scope="module")
def patient_ids(sqlite_url: str) -> Iterator[tuple[str, int, int]]:
    """The served clinic's address, and its two patients with long addresses."""
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        SmallClinic(session)
        ids = [
            add_user(session, email=email, role=Role.patient, full_name="Bart Long").id
            for email in (DOTTED, UNDOTTED)
        ]
        session.commit()
    with served(make_app(sqlite_url)) as url:
        yield url, ids[0], ids[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


PAGES = [
    ("desk@clinic.example", "/desk/book?q=featherstone"),
    ("desk@clinic.example", "/desk/book?patient_id={dotted}"),
    ("dr.okafor@clinic.example", "/clinic?q=featherstone"),
    ("dr.okafor@clinic.example", "/clinic/patients/{dotted}"),
    ("dr.okafor@clinic.example", "/clinic/patients/{undotted}"),
    ("dr.okafor@clinic.example", "/clinic/cases/new?patient={dotted}"),
]


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize(("who", "path"), PAGES)
def test_a_long_address_breaks_where_it_should_and_the_page_fits(
    patient_ids: tuple[str, int, int], browser: Browser, who: str, path: str, width: int
) -> None:
    url, dotted, undotted = patient_ids
    page = browser.new_page(viewport={"width": width, "height": 900})
    path = path.format(dotted=dotted, undotted=undotted)
    sign_in(page, url, who, path)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    main = page.locator("main")
    shown = main.inner_text()
    assert DOTTED in shown or UNDOTTED in shown
    if DOTTED in shown:
        lines = laid_out(main, DOTTED)
        assert broken_as_an_address(lines), lines
        assert width > 390 or len(lines) > 1
    page.close()
