"""Which tests not yet recorded would change the answer, valued for one case.

Every test the case has not recorded (`planned_tests`) is valued on the answer the clinician
sees (`result_value`): the expected fall in the entropy of the joint site-and-cause answer,
times how often the test can be read in this patient (`test_costs.yaml`), and that per unit of
its cost. A test counts as meaningful only when its result is expected to move the leading
answer's probability by several points, or to change the leader; `study_plan` turns the
meaningful ones into the next tests and the planned study, and `bench/planner.py` follows the
ranking to check that it reaches the right answer sooner.

Only the columns whose expected rate varies across the candidates in play are valued in full
(two matrix-vector products find them for every column at once), which keeps a ranking to a
few tenths of a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import Case
from plexcare.engine.findings import Observations
from plexcare.engine.planned_tests import (
    PLANES,
    PlannedTest,
    PlannedTests,
    active_columns,
    catalog_of,
    done_tests,
)
from plexcare.engine.result_value import (
    MOST_IN_PLAY,
    Belief,
    ResultValues,
    belief_of,
    new_finding_weights,
    result_values,
    shown_after,
)
from plexcare.engine.site_and_cause import SiteAndCause, site_and_cause_model
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.test_cost_model import Habitus

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MEANINGFUL_GAIN = 0.02
"""Bits (after reliability): below this a result barely changes the joint answer."""
MEANINGFUL_SHIFT = 0.03
"""A result must be expected to move the leading answer's probability by at least this much...
"""
MEANINGFUL_FLIP = 0.05
"""...or change which answer leads with at least this probability."""
MIN_SPREAD = 0.03
"""A column whose expected rate (without a background polyneuropathy) varies by less than this
(standard deviation over the candidates in play, weighted by their probability) cannot move
the answer meaningfully (on the validation vignettes and examples no such column was worth
more than 0.014 bits, under `MEANINGFUL_GAIN`), so it is valued at 0 without the full
arithmetic..."""
MOST_VALUED = 32
"""...and only the columns that vary most are valued in full: the arithmetic is the planner's
whole cost, and the assessment shows eight tests and a sequence of nine."""


@dataclass(frozen=True)
class Ranking:
    """The tests not yet recorded that can tell the candidates in play apart, valued for one
    case (every other test not yet recorded is worth nothing to this answer)."""

    catalog: PlannedTests = field(repr=False)
    numbers: IntArray  # each test's index in the catalog
    gain: FloatArray  # bits, times reliability
    score: FloatArray  # gain per cost
    meaningful: npt.NDArray[np.bool_]
    both_sides: npt.NDArray[np.bool_]  # valued as a comparison with the other side, to be done too
    rows: IntArray  # the catalog column each test is valued by
    values: ResultValues
    belief: Belief
    time_bin: int

    def test(self, place: int) -> PlannedTest:
        return self.catalog.tests[int(self.numbers[place])]

    def best(self) -> IntArray:
        """Places of the meaningful tests, best value per cost first."""
        order = np.argsort(-self.score, kind="stable")
        return order[self.meaningful[order]]


def value_columns(
    catalog: PlannedTests,
    rows: IntArray,
    belief: Belief,
    observations: Observations,
    time_bin: int,
    kb: KnowledgeBase,
    most_valued: int = MOST_VALUED,
) -> tuple[IntArray, ResultValues]:
    """The value of the columns `rows` that can tell the candidates in play apart: their
    positions in `rows`, and their values (every other column is worth nothing)."""
    model = site_and_cause_model(kb)
    kept = belief.kept
    candidates = catalog.abnormal.shape[2]
    mass = np.zeros(candidates)
    mass[kept] = belief.shown / belief.shown.sum()
    mean = catalog.screen[time_bin] @ mass  # every column at once: two matrix-vector products
    variance = catalog.screen_squared[time_bin] @ mass - mean**2
    spread = np.sqrt(np.maximum(variance[rows], 0.0))
    telling = np.flatnonzero(spread >= MIN_SPREAD)
    if len(telling) > most_valued:
        telling = np.sort(telling[np.argsort(-spread[telling])[:most_valued]])
    rows = rows[telling]
    cells = rows[:, None] * candidates + kept[None, :]
    gathered = catalog.planes[time_bin].take(cells.ravel(), axis=0)
    planes = np.ascontiguousarray(gathered.T).reshape(len(PLANES), len(rows), len(kept))
    observed = np.asarray(observations.abnormal + observations.normal, dtype=np.int64)
    exponent = model.tempering.electrodiagnosis * new_finding_weights(
        model, observed, catalog.columns[rows]
    )
    return telling, result_values(
        belief, planes, exponent, catalog.findings_added[catalog.column_test[rows]]
    )


def rank_tests(
    case: Case,
    observations: Observations,
    answer: SiteAndCause,
    kb: KnowledgeBase,
    habitus: Habitus = "average",
    most_valued: int = MOST_VALUED,
    most_in_play: int = MOST_IN_PLAY,
) -> Ranking:
    """Value every test the case has not recorded, on the answer the clinician sees
    (`most_valued`: how many of the columns that vary most are valued in full)."""
    catalog = catalog_of(kb)
    done = done_tests(case, catalog, kb)
    wanted, pairs = active_columns(case, catalog, done, kb)
    active = np.flatnonzero(wanted)
    belief = belief_of(
        answer, observations.count, observations.days_since_onset, most_in_play=most_in_play
    )
    telling, values = value_columns(
        catalog, active, belief, observations, observations.time_bin, kb, most_valued
    )
    active = active[telling]
    owner = catalog.column_test[active]
    both_sides = pairs[active]
    times = np.where(both_sides, 2.0, 1.0)  # a comparison needs the other side done as well
    order = np.lexsort((-values.gain / times, owner))
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]] if order.size else order
    numbers = owner[first]
    reliability = catalog.reliability_for(case.age, habitus)[numbers]
    gain = values.gain[first] * reliability
    meaningful = (gain >= MEANINGFUL_GAIN) & (
        (values.shift[first] >= MEANINGFUL_SHIFT) | (values.flip[first] >= MEANINGFUL_FLIP)
    )
    return Ranking(
        catalog=catalog,
        numbers=numbers,
        gain=gain,
        score=gain / (catalog.cost[numbers] * times[first]),
        meaningful=meaningful,
        both_sides=both_sides[first],
        rows=active[first],
        values=ResultValues(*(part[first] for part in values.__dict__.values())),
        belief=belief,
        time_bin=observations.time_bin,
    )


def expected_rates(ranking: Ranking, places: IntArray) -> FloatArray:
    """(places, Kk) P(abnormal | candidate) of each test's column, background averaged out."""
    belief = ranking.belief
    table = ranking.catalog.abnormal[ranking.time_bin][np.ix_(ranking.rows[places], belief.kept)]
    return np.asarray(
        table[..., 0] * belief.given[:, 0] + table[..., 1] * belief.given[:, 1], dtype=np.float64
    )


def predicted_answer(
    case: Case,
    observations: Observations,
    answer: SiteAndCause,
    kb: KnowledgeBase,
    test: tuple[str, str, str],
    *,
    abnormal: bool,
) -> FloatArray:
    """(K,) the site answer the planner expects the clinician to be shown once `test`
    ((kind, side, target)) comes back abnormal or normal, in the column it values the test by.
    What the planner's value rests on, so it can be checked against the assessment itself."""
    everything = len(answer.site)
    ranking = rank_tests(case, observations, answer, kb, most_valued=10**6, most_in_play=everything)
    number = ranking.catalog.index[test]
    place = int(np.flatnonzero(ranking.numbers == number)[0])
    row = int(ranking.rows[place])
    catalog = ranking.catalog
    belief = ranking.belief
    table = catalog.abnormal[observations.time_bin, row][belief.kept]
    logs = np.log(table) if abnormal else np.log1p(-table)
    model = site_and_cause_model(kb)
    observed = np.asarray(observations.abnormal + observations.normal, dtype=np.int64)
    weight = new_finding_weights(model, observed, catalog.columns[[row]])[0]
    exponent = model.tempering.electrodiagnosis * float(weight)
    return shown_after(belief, logs, exponent, int(catalog.findings_added[number]))
