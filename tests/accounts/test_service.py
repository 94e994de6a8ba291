from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.models import AccessToken
from plexcare.accounts.roles import Role
from plexcare.errors import Conflict, NotAuthenticated
from tests.conftest_db import TEST_NOW


def register(session: Session, email: str = "Ann@Example.org") -> None:
    accounts.create_user(
        session=session,
        email=email,
        password="a long password",
        full_name="Ann",
        role=Role.patient,
        now=TEST_NOW,
    )


def test_a_registered_patient_signs_in_with_the_password_stored_as_argon2(session: Session) -> None:
    register(session)
    user = accounts.authenticate(
        session=session, email="ann@example.org", password="a long password"
    )
    assert user.password_hash.startswith("$argon2id$")
    assert user.email == "ann@example.org"


def test_a_second_account_with_the_same_email_in_other_case_is_refused(session: Session) -> None:
    register(session)
    with pytest.raises(Conflict) as error:
        register(session, email="ANN@example.org")
    assert error.value.field == "email"


def test_a_wrong_password_or_unknown_email_is_not_authenticated(session: Session) -> None:
    register(session)
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(session=session, email="ann@example.org", password="wrong one")
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(session=session, email="nobody@example.org", password="x")


def test_tokens_are_stored_hashed_and_stop_working_when_expired_or_revoked(
    session: Session,
) -> None:
    register(session)
    user = accounts.authenticate(
        session=session, email="ann@example.org", password="a long password"
    )
    raw, token = accounts.issue_token(
        session=session, user=user, kind="bearer", now=TEST_NOW, lifetime=timedelta(hours=1)
    )
    stored = session.get(AccessToken, token.id)
    assert stored is not None and raw not in stored.token_hash
    assert (
        accounts.user_for_token(session=session, raw_token=raw, kind="bearer", now=TEST_NOW) == user
    )
    assert (
        accounts.user_for_token(session=session, raw_token=raw, kind="session", now=TEST_NOW)
        is None
    )
    later = TEST_NOW + timedelta(hours=2)
    assert accounts.user_for_token(session=session, raw_token=raw, kind="bearer", now=later) is None
    accounts.revoke_token(session=session, raw_token=raw, now=TEST_NOW)
    assert (
        accounts.user_for_token(session=session, raw_token=raw, kind="bearer", now=TEST_NOW) is None
    )


def test_a_disabled_account_s_token_no_longer_signs_anyone_in(session: Session) -> None:
    register(session)
    user = accounts.authenticate(
        session=session, email="ann@example.org", password="a long password"
    )
    raw, _ = accounts.issue_token(
        session=session, user=user, kind="bearer", now=TEST_NOW, lifetime=timedelta(hours=1)
    )
    user.is_active = False
    assert (
        accounts.user_for_token(session=session, raw_token=raw, kind="bearer", now=TEST_NOW) is None
    )


def test_a_token_that_was_never_issued_signs_nobody_in(session: Session) -> None:
    register(session)
    assert (
        accounts.user_for_token(session=session, raw_token="made-up", kind="bearer", now=TEST_NOW)
        is None
    )
