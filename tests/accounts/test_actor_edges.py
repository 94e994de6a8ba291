"""The one object-level access rule and the role check, at the edges `make mutate` found
unguarded: a role without a signed-in user, and the clinic's own (system) work."""

from __future__ import annotations

import pytest

from plexcare.accounts.actor import ANONYMOUS, Actor, system_actor
from plexcare.accounts.roles import Role
from plexcare.errors import Forbidden, NotFound


def test_a_role_without_a_signed_in_user_is_refused() -> None:
    with pytest.raises(Forbidden) as raised:
        Actor(user_id=None, role=Role.front_desk).require_role(Role.front_desk, Role.admin)
    assert raised.value.detail == "your role may not do this"


def test_a_signed_in_user_with_a_listed_role_gets_their_own_id() -> None:
    assert Actor(user_id=7, role=Role.admin).require_role(Role.front_desk, Role.admin) == 7
    with pytest.raises(Forbidden):
        Actor(user_id=7, role=Role.patient).require_role(Role.front_desk, Role.admin)


@pytest.mark.parametrize(
    "actor",
    [
        Actor(user_id=2, role=Role.patient),
        Actor(user_id=1, role=ANONYMOUS),
        Actor(user_id=None, role=ANONYMOUS),
        system_actor(),
    ],
    ids=["another-patient", "not-a-patient-with-the-same-id", "anonymous", "system"],
)
def test_only_the_patient_and_staff_see_a_patients_record(actor: Actor) -> None:
    with pytest.raises(NotFound) as raised:
        actor.ensure_may_see_patient(1)
    assert raised.value.detail == "no such record"


def test_the_patient_and_every_staff_role_may_see_the_record() -> None:
    Actor(user_id=1, role=Role.patient).ensure_may_see_patient(1)
    for role in (Role.clinician, Role.front_desk, Role.admin):
        Actor(user_id=99, role=role).ensure_may_see_patient(1)


def test_the_clinics_own_work_acts_as_system_nobody_signed_in() -> None:
    actor = system_actor()
    assert (actor.user_id, actor.role, actor.client_ip) == (None, "system", None)
    assert not actor.is_staff and not actor.is_patient
