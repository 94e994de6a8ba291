"""Every portal form, posted with odd input as every role, answers without a server error.

Each page is fetched the way a browser would (its forms and their field names come from the
HTML itself, so a new field or form is fuzzed without editing this file); then Hypothesis
changes one to three fields at a time to strings people and scripts really send: digits that
are not ASCII (`²`, `١٢`), numbers of thousands of digits, NaN, dates at the calendar's edges,
YAML with dates, tags, aliases and deep nesting, NUL characters and very long text. The other
fields keep the page's own values, so the odd one reaches the code behind the form rather than
stopping at the first empty field. Derandomized, so a run is repeatable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.scheduling import service as scheduling
from plexcare.web.dependencies import SESSION_COOKIE
from tests.conftest_db import TEST_NOW, SmallClinic, make_app
from tests.portal.forms import TOKEN

PEOPLE = {
    "patient": "patient_a",
    "clinician": "clinician_user",
    "front_desk": "front_desk",
    "admin": "admin",
}
"""Each role by its attribute on `SmallClinic`."""
ROLES = ("anonymous", *PEOPLE)
PAGES = {
    "/self-check": "anonymous",
    "/self-check/callback?urgency=urgent": "anonymous",
    "/callback": "anonymous",
    "/second-opinion": "patient",
    "/login": "anonymous",
    "/register": "anonymous",
    "/book?specialty=neurology&from=2026-03-03&to=2026-03-04": "patient",
    "/me/appointments/{appointment}/cancel": "patient",
    "/me/appointments/{appointment}/reschedule": "patient",
    "/book/hold/{hold}": "patient",
    "/clinic/cases/new?example=l5_radiculopathy": "clinician",
    "/desk/book": "front_desk",
    "/desk/appointments/{appointment}/move": "front_desk",
    "/desk/appointments/{appointment}/cancel": "front_desk",
    "/admin": "admin",
    "/admin/closures": "admin",
    "/admin/appointment-types": "admin",
    "/admin/resources": "admin",
}
"""Each page with the role that sees its forms; every role then posts to them."""
SIGNING_OUT = "/logout"
"""Not fuzzed while signed in: it would end the session the other forms need."""
EXAMPLES_PER_PAGE = 20
EXAMPLES_FOR_OWNER = 50
"""The role the page is for gets past its gate, so its posts reach the code behind the form."""

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)

ODD_STRINGS = (
    "²",
    "١٢",
    "１２",
    "½",
    "9" * 5000,
    "-" + "9" * 40,
    "99999999999",
    "2147483648",
    "-1",
    "0",
    "1e309",
    "-1e308",
    "nan",
    "inf",
    "0x10",
    "1_000",
    " 7 ",
    "2026-01-01",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-W10-2",
    "+20260-01-01",
    "2026-03-03T10:00:00",
    "2026-03-03T10:00:00+00:00",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+14:00",
    "yes",
    "no",
    "true",
    "null",
    "\x00",
    "a\x00b",
    "x" * 150_000,
    "<script>alert(1)</script>",
    "'; DROP TABLE users; --",
    "\ud7ff\ufffd\U0001f600",
)
ODD_YAML = (
    "age: 50\nsex: male\nevaluated_on: 2026-01-01\nonset_on: 2025-12-01",
    "age: 50\nsex: male\nonset_on: 2026-01-01 10:00:00",
    "age: 50\nsex: male\nid: 2026-01-01",
    "age: 50\nsex: male\nevaluated_on: 9999-12-31\nonset_on: 0001-01-01",
    "age: " + "9" * 5000,
    "[" * 3000,
    "a: &a [1, 2]\nb: *a",
    "id: !!binary aGVsbG8=\nage: 50\nsex: male",
    "age: !!timestamp 2026-01-01",
    "!!python/object/apply:os.system ['true']",
    "age: 50\nsex: male\nweeks_since_onset: .nan",
    "age: 50\nsex: male\nweeks_since_onset: .inf",
    'age: 50\nsex: male\nid: "a\\0b"',
    "? [1, 2]\n: 3",
    "{1: 2}",
    "- 1\n- 2",
    "age: 50\nsex: male\nexam: {left: {strength: {tibialis_anterior: 9}}}",
    "age: 50\nsex: male\nexam: {middle: {}}",
    "age: 50\nsex: male\nemg: {left: {nonexistent_muscle: {fibrillations: 2}}}",
    "age: 50\nsex: male\nnerve_conduction: {left: {sural_sensory: {amplitude_uv: -1e308}}}",
    "age: 50\nsex: male\nhistory: {cancer: {site: 2026-01-01, active: maybe}}",
    "\t",
    "age: 50\nsex: male\n" + "labs: {}\n" * 3,
)
YAML_KEYS = ("age", "sex", "id", "evaluated_on", "onset_on", "exam", "left", "emg", "history")
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(YAML_KEYS) | st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)
odd_values = st.one_of(
    st.sampled_from(ODD_STRINGS),
    st.sampled_from(ODD_YAML),
    st.text(max_size=40),
    st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=6),
    st.integers().map(str),
    st.floats().map(str),
    st.dates().map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
    yaml_values.map(repr),
)


def odd_long_text(existing: str) -> st.SearchStrategy[str]:
    """For a textarea: odd YAML alone, odd YAML after the page's own text, or any odd value."""
    odd_yaml = st.sampled_from(ODD_YAML)
    return st.one_of(odd_yaml, odd_yaml.map(lambda extra: f"{existing}\n{extra}"), odd_values)


ODD_IDS = ("²", "9" * 5000, "-1", "0", "99999999999", "1e3", "%00", "١")


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    long_text: set[str] = field(default_factory=set)
    """The textareas: the case form's YAML box is where the oddest input goes."""


class FormReader(HTMLParser):
    """The forms on a page as a browser would send them untouched: each field's value, a
    select's selected (else first) option, a radio group's checked (else first) value."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._checked: set[tuple[int, str]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            method = attributes.get("method", "get").lower()
            self.forms.append(Form(method, attributes.get("action", "")))
            return
        if not self.forms:
            return
        fields = self.forms[-1].fields
        name = attributes.get("name", "")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("radio", "checkbox"):
                key = (len(self.forms), name)
                if "checked" in attributes or name not in fields:
                    if key not in self._checked:
                        fields[name] = attributes.get("value", "on")
                    if "checked" in attributes:
                        self._checked.add(key)
            else:
                fields[name] = attributes.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select is not None:
            if "selected" in attributes or self._select not in fields:
                fields[self._select] = attributes.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""
            self.forms[-1].long_text.add(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self.forms:
            self.forms[-1].fields[self._textarea] += data


def forms_on(html: str) -> list[Form]:
    reader = FormReader()
    reader.feed(html)
    return [form for form in reader.forms if form.action.startswith("/")]


def token_of(browser: TestClient) -> str:
    """This browser's current form token (it changes when a post signs someone in or out)."""
    found = TOKEN.search(browser.get("/login").text)
    assert found is not None
    return found.group(1)


@dataclass
class Clinic:
    url: str
    people: SmallClinic
    session: Session
    appointment_id: int
    hold_id: int
    browsers: dict[str, TestClient] = field(default_factory=dict)

    def browser(self, role: str) -> TestClient:
        """A browser signed in as `role` (a session cookie issued directly: no password
        hashing, which would cost more than the fuzzing itself)."""
        if role not in self.browsers:
            browser = TestClient(make_app(self.url))
            if role != "anonymous":
                user = getattr(self.people, PEOPLE[role])
                raw, _token = accounts.issue_token(
                    session=self.session,
                    user=user,
                    kind="session",
                    now=TEST_NOW,
                    lifetime=timedelta(days=1),
                )
                self.session.commit()
                browser.cookies.set(SESSION_COOKIE, raw)
            self.browsers[role] = browser
        return self.browsers[role]


@pytest.fixture
def clinic(db_url: str, session: Session, small_clinic: SmallClinic) -> Iterator[Clinic]:
    ann = Actor(user_id=small_clinic.patient_a.id, role=Role.patient.value)
    slot = {
        "clinician_id": small_clinic.neurologist.id,
        "appointment_type_id": small_clinic.consultation.id,
    }
    booked = scheduling.book(session=session, actor=ann, starts_at=TUESDAY_10, now=TEST_NOW, **slot)
    held = scheduling.place_hold(
        session=session,
        actor=ann,
        starts_at=TUESDAY_10.replace(hour=11),
        now=TEST_NOW,
        **slot,
    )
    session.commit()
    built = Clinic(db_url, small_clinic, session, booked.id, held.id)
    yield built
    for browser in built.browsers.values():
        browser.close()


def _odd_action(action: str, odd_id: str) -> str:
    return re.sub(r"/[0-9]+(?=/|$)", "/" + quote(odd_id, safe=""), action, count=1)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_no_portal_form_answers_a_server_error(clinic: Clinic, page: str, role: str) -> None:
    owner = clinic.browser(PAGES[page])
    path = page.format(appointment=clinic.appointment_id, hold=clinic.hold_id)
    shown = owner.get(path)
    assert shown.status_code == 200, shown.text
    signed_in = role != "anonymous"
    forms = [f for f in forms_on(shown.text) if not (signed_in and f.action == SIGNING_OUT)]
    assert forms, f"no form on {path}"
    browser = clinic.browser(role)

    @settings(
        max_examples=EXAMPLES_FOR_OWNER if role == PAGES[page] else EXAMPLES_PER_PAGE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def post_odd_values(data: st.DataObject) -> None:
        form = data.draw(st.sampled_from(forms), label="form")
        names = sorted(name for name in form.fields if name != "csrf_token")
        if form.long_text and data.draw(st.booleans(), label="long text"):
            changed = [data.draw(st.sampled_from(sorted(form.long_text)), label="textarea")]
        elif names:
            changed = data.draw(
                st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True),
                label="fields",
            )
        else:
            changed = []
        values = dict(form.fields)
        for name in changed:
            strategy = odd_long_text(values[name]) if name in form.long_text else odd_values
            values[name] = data.draw(strategy, label=name)
        if "csrf_token" in values:
            values["csrf_token"] = token_of(browser)
        action = form.action
        if data.draw(st.integers(0, 9), label="odd id") == 0:
            action = _odd_action(action, data.draw(st.sampled_from(ODD_IDS), label="id"))
        if form.method == "post":
            answer = browser.post(action, data=values, follow_redirects=False)
        else:
            answer = browser.get(action, params=values, follow_redirects=False)
        assert answer.status_code < 500, (form.method, action, values, answer.text[:500])

    post_odd_values()
