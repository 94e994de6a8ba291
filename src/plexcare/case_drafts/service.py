"""Keep and hand over case drafts. Never commits; creating and opening a draft are audited.

The case form (`/clinic/cases/new?draft=<id>`) opens one with `open_draft` and shows it with
`as_case_text`: a draft is the clinician's own, so another clinician (or anyone else) gets 404,
as with a record they may not see.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import delete
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.case_drafts.models import CaseDraft, SmartLaunch
from plexcare.errors import NotFound

DRAFT_LIFETIME = timedelta(hours=12)
LAUNCH_LIFETIME = timedelta(minutes=10)


def _audit(session: Session, actor: Actor, action: str, draft_id: str, now: datetime) -> None:
    audit.record_access(
        session=session,
        actor=actor,
        action=action,
        subject_type="case_draft",
        subject_id=draft_id[:16],
        patient_user_id=None,
        now=now,
    )


def keep_draft(
    *,
    session: Session,
    actor: Actor,
    case_data: dict[str, Any],
    source: str,
    ehr_patient: str,
    patient_name: str,
    now: datetime,
) -> CaseDraft:
    clinician = actor.require_role(Role.clinician)
    draft = CaseDraft(
        id=secrets.token_urlsafe(24),
        clinician_user_id=clinician,
        case_data=case_data,
        source=source[:500],
        ehr_patient=ehr_patient[:200],
        patient_name=patient_name[:200],
        created_at=now,
        expires_at=now + DRAFT_LIFETIME,
    )
    session.add(draft)
    session.flush()
    _audit(session, actor, "create", draft.id, now)
    return draft


def open_draft(*, session: Session, actor: Actor, draft_id: str, now: datetime) -> CaseDraft:
    """The clinician's own live draft (audited read); anything else is NotFound."""
    clinician = actor.require_role(Role.clinician)
    draft = session.get(CaseDraft, draft_id[:64])
    if draft is None or draft.clinician_user_id != clinician or draft.expires_at <= now:
        raise NotFound(
            "no such draft: it may have expired; launch again from the EHR", field="draft"
        )
    _audit(session, actor, "read", draft.id, now)
    return draft


def as_case_text(draft: CaseDraft) -> str:
    """The draft as the case form's advanced box takes a case: YAML, in the case's own order."""
    return yaml.safe_dump(draft.case_data, sort_keys=False, allow_unicode=True)


def start_launch(
    *, session: Session, actor: Actor, issuer: str, token_endpoint: str, now: datetime
) -> SmartLaunch:
    """A new launch with a fresh `state` and PKCE verifier; lapsed launches are cleared."""
    clinician = actor.require_role(Role.clinician)
    session.execute(delete(SmartLaunch).where(SmartLaunch.expires_at <= now))
    launch = SmartLaunch(
        state=secrets.token_urlsafe(24),
        clinician_user_id=clinician,
        issuer=issuer[:500],
        token_endpoint=token_endpoint[:500],
        code_verifier=secrets.token_urlsafe(48),
        created_at=now,
        expires_at=now + LAUNCH_LIFETIME,
    )
    session.add(launch)
    session.flush()
    return launch


def finish_launch(*, session: Session, actor: Actor, state: str, now: datetime) -> SmartLaunch:
    """The launch `state` names, once: it is deleted here, so a replayed return fails."""
    clinician = actor.require_role(Role.clinician)
    launch = session.get(SmartLaunch, state[:64])
    if launch is None or launch.clinician_user_id != clinician or launch.expires_at <= now:
        raise NotFound(
            "this launch is unknown or has expired; launch again from the EHR", field="state"
        )
    session.delete(launch)
    session.flush()
    return launch
