"""The patient learns from the outbox that their second opinion is ready, never what it says."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.config import Settings
from plexcare.db import session_factory
from plexcare.notifications.senders import OutgoingEmail, ShortMessage
from plexcare.notifications.worker import Senders, deliver_due
from plexcare.second_opinions import service as second_opinions
from tests.conftest_db import TEST_NOW, SmallClinic

OPINION = "The pattern fits a lumbosacral trunk lesion; no operation is needed now."


class RecordingEmail:
    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []

    def send(self, message: OutgoingEmail) -> None:
        self.sent.append(message)


class RecordingShortMessages:
    def send(self, message: ShortMessage) -> None:
        raise AssertionError("second-opinion notices go by e-mail only")


def test_the_answer_notice_says_the_opinion_is_ready_without_its_content(
    db_url: str, session: Session, small_clinic: SmallClinic, tmp_path: Path
) -> None:
    request, _stored = second_opinions.submit(
        session=session,
        actor=Actor(user_id=small_clinic.patient_a.id, role="patient"),
        question="Do I need an operation for my foot drop?",
        files=[],
        directory=tmp_path,
        max_bytes=1024 * 1024,
        now=TEST_NOW,
    )
    second_opinions.answer(
        session=session,
        actor=Actor(user_id=small_clinic.clinician_user.id, role="clinician"),
        request_id=request.id,
        opinion=OPINION,
        now=TEST_NOW,
    )
    session.commit()
    mail = RecordingEmail()

    report = deliver_due(
        sessions=session_factory(db_url),
        outlets=Senders(email=mail, short_message=RecordingShortMessages()),
        settings=Settings(),
        now=TEST_NOW,
    )

    assert report.sent == 1
    (notice,) = mail.sent
    assert notice.to == "ann@example.org"
    assert "second opinion" in notice.subject.lower()
    assert "lumbosacral" not in notice.text
    assert "operation" not in notice.text
