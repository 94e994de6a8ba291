"""Account endpoints: register, sign in (token or page session), profile, staff accounts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy.orm import Session

from plexcare.accounts import repository
from plexcare.accounts import service as accounts
from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.accounts.schemas import (
    AccessTokenOut,
    ConsentUpdate,
    Credentials,
    PatientRegistration,
    RegistrationReceipt,
    StaffAccountRequest,
    UserOut,
    UserPage,
)
from plexcare.audit import service as audit
from plexcare.config import get_settings
from plexcare.errors import NotAuthenticated, NotFound
from plexcare.web.dependencies import (
    SESSION_COOKIE,
    Admin,
    ClientAddress,
    DbSession,
    Now,
    Paging,
    SignedIn,
)

router = APIRouter(prefix="/api/v1", tags=["accounts"])
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "too many failed sign-ins for this account or from this address; "
        "see Retry-After"
    }
}


@router.post(
    "/auth/register",
    response_model=RegistrationReceipt,
    status_code=status.HTTP_202_ACCEPTED,
)
def register(
    body: PatientRegistration, session: DbSession, now: Now, client: ClientAddress
) -> RegistrationReceipt:
    """Public: a patient creates their own account.

    The answer is the same whether the address was new or already had an account (then
    nothing is created), so registration cannot tell anyone who has an account here.
    """
    accounts.register_patient(
        session=session,
        email=str(body.email),
        password=body.password,
        full_name=body.full_name,
        client_ip=client,
        now=now,
        phone=body.phone,
        consent_email=body.consent_email,
        consent_sms=body.consent_sms,
    )
    session.commit()
    return RegistrationReceipt()


def _signed_in(*, session: Session, body: Credentials, client: str | None, now: datetime) -> User:
    """The account the credentials open; a refusal is committed first (the failure counts)
    and a throttled one answers 429 with Retry-After."""
    try:
        return accounts.sign_in(
            session=session,
            email=str(body.email),
            password=body.password,
            client_ip=client,
            now=now,
        )
    except accounts.SignInThrottled as error:
        session.commit()
        raise HTTPException(
            status_code=error.status,
            detail=error.detail,
            headers={"Retry-After": str(error.retry_after_seconds)},
        ) from error
    except NotAuthenticated:
        session.commit()
        raise


@router.post("/auth/token", response_model=AccessTokenOut, responses=THROTTLED)
def issue_bearer_token(
    body: Credentials, session: DbSession, now: Now, client: ClientAddress
) -> AccessTokenOut:
    """Public: exchange e-mail and password for a bearer token for the API."""
    user = _signed_in(session=session, body=body, client=client, now=now)
    raw, token = accounts.issue_token(
        session=session,
        user=user,
        kind="bearer",
        now=now,
        lifetime=timedelta(days=get_settings().session_days),
    )
    session.commit()
    return AccessTokenOut(access_token=raw, expires_at=token.expires_at)


@router.post("/auth/session", status_code=status.HTTP_204_NO_CONTENT, responses=THROTTLED)
def sign_in(
    body: Credentials, session: DbSession, now: Now, response: Response, client: ClientAddress
) -> Response:
    """Public: sign in for the web pages; sets an HttpOnly, SameSite=Lax session cookie."""
    settings = get_settings()
    user = _signed_in(session=session, body=body, client=client, now=now)
    raw, _token = accounts.issue_token(
        session=session,
        user=user,
        kind="session",
        now=now,
        lifetime=timedelta(days=settings.session_days),
    )
    session.commit()
    response.status_code = status.HTTP_204_NO_CONTENT
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@router.delete("/auth/session", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(request: Request, session: DbSession, now: Now, response: Response) -> Response:
    """Public: end the page session (harmless without one)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        accounts.revoke_token(session=session, raw_token=raw, now=now)
        session.commit()
    response.status_code = status.HTTP_204_NO_CONTENT
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _own_account(*, session: Session, actor: Actor, action: str, now: datetime) -> User:
    """The caller's account; a patient's own record is patient data, so the access is audited."""
    assert actor.user_id is not None
    user = repository.user_by_id(session=session, user_id=actor.user_id)
    if user is None:
        raise NotFound("no such account")
    if actor.is_patient:
        audit.record_access(
            session=session,
            actor=actor,
            action=action,
            subject_type="patient",
            subject_id=user.id,
            patient_user_id=user.id,
            now=now,
        )
    return user


@router.get("/me", response_model=UserOut)
def my_account(actor: SignedIn, session: DbSession, now: Now) -> UserOut:
    user = _own_account(session=session, actor=actor, action="read", now=now)
    answer = UserOut.model_validate(user)
    session.commit()
    return answer


@router.patch("/me", response_model=UserOut)
def update_my_contact_preferences(
    body: ConsentUpdate, actor: SignedIn, session: DbSession, now: Now
) -> UserOut:
    """Consent to e-mail and SMS messages, and the phone number they go to."""
    user = _own_account(session=session, actor=actor, action="update", now=now)
    accounts.update_contact_preferences(
        session=session,
        user=user,
        consent_email=body.consent_email,
        consent_sms=body.consent_sms,
        phone=body.phone,
    )
    answer = UserOut.model_validate(user)
    session.commit()
    return answer


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_account(
    body: StaffAccountRequest, actor: Admin, session: DbSession, now: Now
) -> UserOut:
    """Admin: create an account with any role (clinicians, front desk, other admins)."""
    user = accounts.create_user(
        session=session,
        email=str(body.email),
        password=body.password,
        full_name=body.full_name,
        role=body.role,
        now=now,
    )
    answer = UserOut.model_validate(user)
    session.commit()
    return answer


@router.get("/users", response_model=UserPage)
def list_accounts(
    actor: Admin,
    session: DbSession,
    page: Paging,
    role: Annotated[Role | None, Query()] = None,
) -> UserPage:
    users, total = repository.list_users(
        session=session, role=role.value if role else None, limit=page.limit, offset=page.offset
    )
    return UserPage(
        items=[UserOut.model_validate(user) for user in users],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
