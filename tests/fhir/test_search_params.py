"""FHIR date prefixes as time ranges, in the clinic's time zone for a bare date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.errors import InvalidInput
from plexcare.fhir.search_params import reference_id, time_range

ZONE = "Europe/London"


def test_a_bare_date_is_that_local_day() -> None:
    summer = time_range(["2026-07-01"], zone=ZONE, field="start")
    assert summer.starts_from == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert summer.starts_before == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)


def test_prefixes_combine_into_one_range() -> None:
    window = time_range(
        ["ge2026-03-03T10:00:00Z", "lt2026-03-03T11:00:00Z"], zone=ZONE, field="start"
    )
    assert window.contains(datetime(2026, 3, 3, 10, 30, tzinfo=UTC))
    assert not window.contains(datetime(2026, 3, 3, 11, 0, tzinfo=UTC))
    assert not window.contains(datetime(2026, 3, 3, 9, 59, tzinfo=UTC))
    through = time_range(["le2026-03-03"], zone=ZONE, field="start")
    assert through.contains(datetime(2026, 3, 3, 23, 59, tzinfo=UTC))


@pytest.mark.parametrize("raw", ["yesterday", "ge2026-13-01", "2026-03-03T10:00:00"])
def test_unreadable_values_name_the_parameter(raw: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        time_range([raw], zone=ZONE, field="start")
    assert raised.value.field == "start"


def test_references_read_with_or_without_their_type() -> None:
    assert reference_id("Practitioner/3", "Practitioner", field="actor") == 3
    assert reference_id("3", "Practitioner", field="actor") == 3
    with pytest.raises(InvalidInput):
        reference_id("Patient/3", "Practitioner", field="actor")


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
    ),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
    ),
)
def test_ge_and_lt_contain_exactly_the_instants_between(low: datetime, probe: datetime) -> None:
    high = (
        low.replace(year=low.year + 1)
        if low.month != 2 or low.day != 29
        else low.replace(day=28, year=low.year + 1)
    )
    window = time_range([f"ge{low.isoformat()}", f"lt{high.isoformat()}"], zone=ZONE, field="start")
    assert window.contains(probe) == (low <= probe < high)
