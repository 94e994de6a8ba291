"""What an app keeps for all its requests (`web.dependencies.kept_on`): made once, on first use,
and the same for every request after; another app has its own; a test's own, put there first,
is the one used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plexcare.accounts.token_holders import TokenHolders
from plexcare.scheduling.routes import booking_rounds_of, rules_memory_of
from plexcare.web.dependencies import postgres_pools_of, token_holders_of
from tests.conftest_db import make_app

KEPT: dict[str, Callable[[Any], object]] = {
    "token_holders": token_holders_of,
    "rules_memory": rules_memory_of,
    "booking_rounds": booking_rounds_of,
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_the_app_makes_it_once_and_every_request_shares_it(name: str) -> None:
    kept_by = KEPT[name]
    app, other_app = make_app("sqlite://"), make_app("sqlite://")
    first = kept_by(app)
    assert kept_by(app) is first
    assert getattr(app.state, name) is first
    assert kept_by(other_app) is not first


def test_a_tests_own_put_in_the_app_first_is_the_one_used() -> None:
    app = make_app("sqlite://")
    own = TokenHolders(0)
    app.state.token_holders = own
    assert token_holders_of(app) is own


def test_an_app_on_sqlite_has_no_postgresql_pools() -> None:
    assert postgres_pools_of(make_app("sqlite://")) is None


@pytest.mark.postgres
def test_an_app_on_postgresql_keeps_one_set_of_pools(postgres_url: str) -> None:
    app = make_app(postgres_url)
    pools = postgres_pools_of(app)
    assert pools is not None
    assert postgres_pools_of(app) is pools
