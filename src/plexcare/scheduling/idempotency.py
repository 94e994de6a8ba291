"""`Idempotency-Key`: a retried request gets the first answer instead of a second booking.

The record is written in the same transaction as the booking, and the key is unique per user,
so two copies of one request racing each other cannot both book: the second one either finds
the record or fails on the constraint and then finds it.
"""

from __future__ import annotations

import hashlib
import json
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from plexcare.errors import InvalidInput
from plexcare.scheduling.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: Any


_INSERT_RECORD = insert(typing.cast(Table, IdempotencyRecord.__table__))


def fingerprint(method: str, path: str, payload: Any) -> str:
    raw = json.dumps([method, path, payload], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"must be 1 to {MAX_KEY_LENGTH} characters", field="Idempotency-Key")
    return key


def stored_answer(
    *, session: Session, user_id: int, key: str, request_fingerprint: str
) -> StoredAnswer | None:
    """The answer already given to this key, or None; a different request under the same key
    is refused so a client bug cannot silently return someone else's answer."""
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.fingerprint != request_fingerprint:
        raise InvalidInput(
            "this key was already used for a different request", field="Idempotency-Key"
        )
    return StoredAnswer(status_code=record.status_code, body=json.loads(record.response_body))


def remember_answer(
    *,
    session: Session,
    user_id: int,
    key: str,
    request_fingerprint: str,
    status_code: int,
    body_json: str,
    now: datetime,
) -> None:
    """Store the answer (already serialized, so it is rendered once for the client and
    the record alike); a second request under the same key fails here on the unique key.

    A plain INSERT, not an ORM object: nothing reads the record back in this request, and
    the unit of work would cost more than the insert."""
    session.execute(
        _INSERT_RECORD,
        {
            "user_id": user_id,
            "key": key,
            "fingerprint": request_fingerprint,
            "status_code": status_code,
            "response_body": body_json,
            "created_at": now,
        },
    )
