"""The home page opens with the hospital page's calls to action, each leading to a page that
exists, and the contact page gives the address, hours, a `tel:` link and a WhatsApp link with
a prefilled message, all from settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from plexcare.app import create_app
from plexcare.config import Settings, get_settings
from plexcare.education.contact import contact_details, tel_href, whatsapp_href

ACTIONS = (
    ("Book an appointment", "/book"),
    ("Get a second opinion", "/second-opinion"),
    ("Request a callback", "/callback"),
    ("Find our specialists", "/specialists"),
    ("Health packages", "/packages"),
)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("PLEXCARE_CLINIC_PHONE", "+442079460999")
    monkeypatch.setenv("PLEXCARE_CLINIC_WHATSAPP", "447700900456")
    monkeypatch.setenv("PLEXCARE_CLINIC_WHATSAPP_MESSAGE", "Hello & welcome? 50% sure")
    monkeypatch.setenv("PLEXCARE_CLINIC_ADDRESS", "2 Test Street, Leeds LS1 1AA")
    get_settings.cache_clear()
    with TestClient(create_app()) as test_client:
        yield test_client
    get_settings.cache_clear()


def test_the_home_page_opens_with_the_calls_to_action(client: TestClient) -> None:
    html = client.get("/").text
    block = html[html.index('class="calls-to-action"') : html.index('class="urgent"')]
    for label, href in ACTIONS:
        assert f'href="{href}"' in block and label in block
    assert "https://wa.me/447700900456?text=" in block
    assert 'href="tel:+442079460999"' in block


def test_the_contact_page_reads_its_details_from_settings(client: TestClient) -> None:
    page = client.get("/contact")
    assert page.status_code == 200
    assert "2 Test Street, Leeds LS1 1AA" in page.text
    assert "Monday to Friday, 08:00–18:00" in page.text
    assert 'href="tel:+442079460999"' in page.text
    assert ">020 7946 0999<" in page.text
    link = re.search(r'href="(https://wa\.me/[^"]+)"', page.text)
    assert link is not None
    parts = urlsplit(link.group(1).replace("&amp;", "&"))
    assert parts.path == "/447700900456"
    assert parse_qs(parts.query)["text"] == ["Hello & welcome? 50% sure"]
    assert 'href="tel:999"' in page.text and 'href="tel:111"' in page.text


def test_links_are_built_for_phones_and_whatsapp() -> None:
    assert tel_href("+442079460018") == "tel:+442079460018"
    assert (
        whatsapp_href("447700900123", "Hi there/ok")
        == "https://wa.me/447700900123?text=Hi%20there%2Fok"
    )
    details = contact_details(Settings(clinic_phone="+12025550143", phone_region="GB"))
    assert details.phone_display.startswith("+1 ")


def test_a_malformed_number_in_settings_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError):
        Settings(clinic_phone="020 7946 0018")
    with pytest.raises(ValueError):
        Settings(clinic_whatsapp="+447700900123")
