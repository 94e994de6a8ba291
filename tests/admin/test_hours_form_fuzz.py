"""The weekly-hours and leave forms answer odd input with a named field, never a server error
(the portal's form fuzzer covers the other admin forms; this page's address names a clinician,
which that fuzzer does not fill in)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest_db import SmallClinic
from tests.portal.forms import csrf_token, sign_in
from tests.portal.test_form_fuzz import odd_values

HOURS_FIELDS = [f"{kind}-{day}" for kind in ("starts", "ends", "break_starts") for day in range(7)]
LEAVE_FIELDS = ["first_day", "last_day", "note"]


def test_odd_hours_and_leave_never_answer_a_server_error(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "admin@clinic.example")
    page = f"/admin/clinicians/{small_clinic.neurologist.id}/hours"
    token = csrf_token(client, page)

    @settings(
        max_examples=60,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        leave=st.booleans(),
        fields=st.dictionaries(
            st.sampled_from(HOURS_FIELDS + LEAVE_FIELDS), odd_values, min_size=1, max_size=4
        ),
    )
    def post(leave: bool, fields: dict[str, str]) -> None:
        action = f"{page.removesuffix('/hours')}/leave" if leave else page
        answer = client.post(action, data={"csrf_token": token, **fields}, follow_redirects=False)
        assert answer.status_code in (303, 409, 422), (action, fields, answer.text[:300])

    post()
