"""Two desks taking one callback request at the same instant: one takes it, the colleague is
told it is taken (409), on SQLite and PostgreSQL, and the owner is never silently replaced."""

from __future__ import annotations

import threading

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.callbacks.models import CallbackRequest
from tests.conftest_db import Personas, SmallClinic
from tests.scheduling.crowd import CROWD, server

__all__ = ["server"]


def test_fifty_desk_takes_at_once_leave_one_owner_and_refuse_the_colleague(
    server: str, session: Session, personas: Personas, small_clinic: SmallClinic
) -> None:
    asked = httpx.post(
        f"{server}/api/v1/callbacks",
        json={"full_name": "Sam Caller", "phone": "020 7946 0018", "reason": "Call me."},
    )
    assert asked.status_code == 201, asked.text
    callback_id = asked.json()["id"]
    session.commit()
    desks = [personas.headers["front_desk"], personas.headers["admin"]] * (CROWD // 2)
    start_together = threading.Barrier(len(desks))
    answers: list[httpx.Response] = []

    def take(headers: dict[str, str]) -> None:
        with httpx.Client(base_url=server, timeout=60) as http:
            start_together.wait()
            answers.append(
                http.patch(
                    f"/api/v1/callbacks/{callback_id}",
                    json={"status": "in_progress"},
                    headers=headers,
                )
            )

    threads = [threading.Thread(target=take, args=(headers,)) for headers in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = {answer.json()["owner_user_id"] for answer in answers if answer.status_code == 200}
    refused = [answer for answer in answers if answer.status_code == 409]
    assert len(won) == 1
    assert len(refused) == CROWD // 2
    assert "already taken" in refused[0].json()["detail"]
    session.expire_all()
    stored = session.get(CallbackRequest, callback_id)
    assert stored is not None and stored.owner_user_id in won
    updates = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_type == "callback_request", AuditEvent.action == "update")
    )
    assert updates == CROWD // 2
