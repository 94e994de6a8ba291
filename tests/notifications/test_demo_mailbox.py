"""Messages really leave: the outbox worker, in the serving process's background thread,
sends the booking confirmation over SMTP to the demo's local sink, which keeps it, and staff
read it with its calendar invitation at /desk/mailbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.db import session_factory
from plexcare.notifications.mailbox import Mailbox, MailSink, is_message_id
from plexcare.notifications.models import OutboxMessage
from plexcare.notifications.worker import BackgroundWorker, deliver_round, smtp_senders
from plexcare.scheduling import service as booking
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.notifications.demo_delivery import running_sink, sink_settings
from tests.notifications.mailbox import read_invitation
from tests.portal.forms import ON_SQLITE, sign_in
from tests.scheduling.test_booking import TUESDAY_10, patient


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with running_sink(tmp_path / "mailbox") as started:
        yield started


def book_consultation(session: Session, clinic_people: SmallClinic) -> None:
    booking.book(
        session=session,
        actor=patient(clinic_people),
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    session.commit()


def test_the_sink_keeps_each_confirmation_with_its_invitation(
    db_url: str, session: Session, small_clinic: SmallClinic, sink: MailSink
) -> None:
    book_consultation(session, small_clinic)

    report = deliver_round(
        sessions=session_factory(db_url),
        outlets=smtp_senders(sink_settings(sink, db_url)),
        settings=sink_settings(sink, db_url),
        now=TEST_NOW,
    )

    assert report.sent == 1, "the e-mail confirmation (the reminder is due a day ahead)"
    box = sink.mailbox
    kept = [box.read(name) for name in box.message_ids()]
    assert len(kept) == 1
    for item in kept:
        assert item is not None and item["To"] == "ann@example.org"
        calendars = [
            part for part in item.iter_attachments() if part.get_content_type() == "text/calendar"
        ]
        assert len(calendars) == 1
        invitation = read_invitation(calendars[0].get_payload(decode=True))
        assert invitation.start == TUESDAY_10
    files = list(box.directory.iterdir())
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in files)


def test_the_background_worker_sends_without_a_second_command(
    db_url: str, session: Session, small_clinic: SmallClinic, sink: MailSink
) -> None:
    book_consultation(session, small_clinic)
    settings = sink_settings(sink, db_url)
    worker = BackgroundWorker(
        sessions=session_factory(db_url),
        outlets=smtp_senders(settings),
        settings=settings,
        interval=0.1,
        clock=lambda: TEST_NOW,
    )
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not sink.mailbox.message_ids() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()

    assert len(sink.mailbox.message_ids()) == 1
    statuses = session.execute(
        select(OutboxMessage.kind, OutboxMessage.status).where(OutboxMessage.channel == "email")
    ).all()
    assert sorted(tuple(row) for row in statuses) == [
        ("confirmation", "sent"),
        ("reminder", "pending"),
    ]


@ON_SQLITE
def test_staff_read_the_message_and_download_its_invitation(
    client: TestClient, db_url: str, session: Session, small_clinic: SmallClinic, sink: MailSink
) -> None:
    book_consultation(session, small_clinic)
    settings = sink_settings(sink, db_url)
    deliver_round(
        sessions=session_factory(db_url),
        outlets=smtp_senders(settings),
        settings=settings,
        now=TEST_NOW,
    )
    client.app.state.mailbox_dir = sink.mailbox.directory  # type: ignore[attr-defined]
    sign_in(client, "desk@clinic.example")

    listing = client.get("/desk/mailbox")

    assert listing.status_code == 200
    assert listing.text.count("ann@example.org") == 1
    newest = sink.mailbox.message_ids()[0]
    opened = client.get(f"/desk/mailbox/{newest}")
    assert opened.status_code == 200
    assert "invite.ics" in opened.text and "BEGIN:VCALENDAR" in opened.text
    download = client.get(f"/desk/mailbox/{newest}/attachments/1")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/calendar")
    assert "attachment" in download.headers["content-disposition"]
    assert read_invitation(download.content).start == TUESDAY_10


@ON_SQLITE
def test_patients_may_not_read_the_mailbox_and_names_cannot_leave_the_folder(
    client: TestClient, small_clinic: SmallClinic, tmp_path: Path
) -> None:
    client.app.state.mailbox_dir = tmp_path  # type: ignore[attr-defined]
    (tmp_path.parent / "secret.eml").write_bytes(b"Subject: secret\r\n\r\nno")
    sign_in(client, "ann@example.org")
    assert client.get("/desk/mailbox").status_code == 403
    client.get("/logout")
    client.cookies.clear()
    sign_in(client, "admin@clinic.example")
    assert client.get("/desk/mailbox/..%2Fsecret").status_code == 404
    assert not is_message_id("../secret")


@ON_SQLITE
def test_without_a_sink_the_page_says_there_is_no_demo_mailbox(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "desk@clinic.example")
    answer = client.get("/desk/mailbox")
    assert answer.status_code == 404
    assert "no demo mailbox" in answer.text


def test_the_mailbox_lists_newest_first(tmp_path: Path) -> None:
    box = Mailbox(tmp_path / "box")
    first = box.keep(b"Subject: one\r\n\r\n1", now=TEST_NOW)
    second = box.keep(b"Subject: two\r\n\r\n2", now=TEST_NOW.replace(hour=9))
    assert box.message_ids() == [second, first]
