"""`make bench`, next-test planner: does following the planner reach the right answer sooner?

For every validation vignette with a committed expected site (tests/engine/vignettes, expected
answers in tests/engine/vignettes/expected/answers.yaml), the nerve-conduction and needle
results are removed and added back one test at a time (a test: one study or one muscle on one
side, with everything recorded for it) in four orders:

- **planner**: at each step the planner ranks the tests still to add on the answer so far
  (`engine.study_plan.rank_tests`, value per cost) and the best one is added;
- **random**: the mean over 20 seeded shuffles;
- **screening**: the usual laboratory routine, nerve conduction first (sural, superficial
  fibular, fibular and tibial motor, F waves, H reflex, then the rest) and then the needle
  screen of Dillingham 2000 (tibialis anterior, medial gastrocnemius, vastus medialis, short
  head of biceps femoris, tensor fasciae latae, lumbar paraspinals), then the rest as recorded;
- **oracle**: an order that knows the answer (each step adds the test that most raises the
  probability of the right answer): the ceiling.

Reported per order: the mean probability the shown answer gives the expert's site (any accepted
site on the accepted side) after 1, 2, 3 and 5 tests (a case with fewer tests keeps its full
answer), and the mean number of tests after which the leading site is right and stays right
(over the vignettes whose full study leads to the right site, and over those of them whose
bedside findings alone lead elsewhere, which need the study). The planner before issue 18
(information gain on the untempered localization) is shown for comparison, and the time the
planner takes per ranking. Last, with the electrodiagnosis removed, what the assessment
proposes first: how often the anal sphincter leads (it should not: a limb test or SNAP answers
a sacral question more simply), how often no test is proposed, and how often the LFCN SNAP is
put before the saphenous SNAP.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from plexcare.cli.validate import TABLE, read_table
from plexcare.engine.case import Case
from plexcare.engine.etiology import feature_matrix
from plexcare.engine.etiology_features import derive_etiology_findings
from plexcare.engine.findings import Observations, observe
from plexcare.engine.localization import localize
from plexcare.engine.next_test_ranking import rank_tests
from plexcare.engine.next_tests import next_best_tests
from plexcare.engine.site_and_cause import Evidence, SiteAndCause, score, site_and_cause_model
from plexcare.engine.study_plan import plan_study
from plexcare.engine.validation import ExpectedAnswer
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.test_cost_model import PlannedTestKind

ROOT = Path(__file__).parents[1]
STEPS = (1, 2, 3, 5)
SHUFFLES = 20
SEED = 18
SCREENING_STUDIES = (
    "sural_snap",
    "superficial_fibular_snap",
    "fibular_cmap_edb",
    "tibial_cmap_abductor_hallucis",
    "fibular_f_wave",
    "tibial_f_wave",
    "h_reflex",
)
SCREENING_MUSCLES = (
    "tibialis_anterior",
    "gastrocnemius_medial_head",
    "vastus_medialis",
    "biceps_femoris_short_head",
    "tensor_fasciae_latae",
    "lower_lumbar_paraspinal",
    "lumbar_paraspinal_l5",
    "lumbar_paraspinal_l4",
    "sacral_paraspinal_s1",
    "mid_lumbar_paraspinal",
    "lumbar_paraspinal_l3",
)
"""The usual routine: nerve conduction first, then the six-muscle needle screen for a
lumbosacral radiculopathy (Dillingham 2000, dillingham_2000_lumbosacral_emg_screen)."""

Test = tuple[PlannedTestKind, str, str]  # (kind, side, target)


@dataclass(frozen=True)
class Vignette:
    name: str
    base: dict[str, Any]  # the case without its electrodiagnosis
    pool: tuple[Test, ...]
    results: dict[Test, Any]
    expected: ExpectedAnswer


@dataclass
class Figures:
    after: dict[int, list[float]]
    stable: list[float]
    needed: list[float]  # the stable count where the bedside alone leads to a wrong site


def _pool(raw: dict[str, Any]) -> tuple[tuple[Test, ...], dict[Test, Any]]:
    results: dict[Test, Any] = {}
    for side, studies in (raw.get("nerve_conduction") or {}).items():
        for study, result in studies.items():
            results[("nerve_conduction", side, study)] = result
    for side, muscles in (raw.get("emg") or {}).items():
        for muscle, result in muscles.items():
            results[("needle_emg", side, muscle)] = result
    return tuple(results), results


def vignettes() -> list[Vignette]:
    """The vignettes with a committed site and at least two electrodiagnostic tests."""
    chosen: list[Vignette] = []
    for expected in read_table(ROOT / TABLE):
        if expected.uncertain or not expected.sites:
            continue
        raw = yaml.safe_load((ROOT / expected.file).read_text())
        pool, results = _pool(raw)
        if len(pool) < 2:
            continue
        base = {k: v for k, v in raw.items() if k not in ("nerve_conduction", "emg")}
        chosen.append(Vignette(Path(expected.file).stem, base, pool, results, expected))
    return chosen


def _case(vignette: Vignette, done: Sequence[Test]) -> Case:
    data = dict(vignette.base)
    ncs: dict[str, dict[str, Any]] = {}
    emg: dict[str, dict[str, Any]] = {}
    for test in done:
        kind, side, target = test
        (ncs if kind == "nerve_conduction" else emg).setdefault(side, {})[target] = (
            vignette.results[test]
        )
    data["nerve_conduction"], data["emg"] = ncs, emg
    return Case.model_validate(data)


def _scored(case: Case, kb: KnowledgeBase) -> tuple[Observations, SiteAndCause]:
    model = site_and_cause_model(kb)
    table = model.localization
    observations = observe(case, table.findings, kb, table.finding_model)
    states = feature_matrix(model.etiology, [derive_etiology_findings(case, kb)])[0]
    return observations, score(model, Evidence(observations, states, case.imaging))


class Scorer:
    """P(right site) and whether the leader is right, for a vignette and a set of tests."""

    def __init__(self, vignette: Vignette, kb: KnowledgeBase) -> None:
        self.vignette, self.kb = vignette, kb
        candidates = site_and_cause_model(kb).candidates
        expected = vignette.expected
        self.right = np.array(
            [
                c.id in expected.sites and (expected.side is None or c.side == expected.side)
                for c in candidates
            ]
        )
        self.cache: dict[frozenset[Test], tuple[float, bool]] = {}

    def __call__(self, done: Sequence[Test]) -> tuple[float, bool]:
        key = frozenset(done)
        if key not in self.cache:
            _, answer = _scored(_case(self.vignette, done), self.kb)
            site = answer.site
            self.cache[key] = (float(site[self.right].sum()), bool(self.right[site.argmax()]))
        return self.cache[key]


def _planner_order(vignette: Vignette, kb: KnowledgeBase, timings: list[float]) -> list[Test]:
    order: list[Test] = []
    left = list(vignette.pool)
    while left:
        case = _case(vignette, order)
        observations, answer = _scored(case, kb)
        started = time.process_time()
        ranking = rank_tests(case, observations, answer, kb, most_valued=10**6)
        timings.append(time.process_time() - started)
        score_of = {
            ranking.catalog.tests[int(n)]: float(s)
            for n, s in zip(ranking.numbers, ranking.score, strict=True)
        }
        by_key = {(t.kind, t.side, t.target): v for t, v in score_of.items()}
        best = max(left, key=lambda test: by_key.get(test, -1.0))
        order.append(best)
        left.remove(best)
    return order


def _previous_order(vignette: Vignette, kb: KnowledgeBase) -> list[Test]:
    """The planner before issue 18: information gain on the untempered localization."""
    order: list[Test] = []
    left = list(vignette.pool)
    while left:
        ranked = next_best_tests(localize(_case(vignette, order), kb), kb, limit=10_000)
        place = {(t.test, t.side, t.target): n for n, t in enumerate(ranked)}
        best = min(left, key=lambda test: place.get(test, len(place)))
        order.append(best)
        left.remove(best)
    return order


def _screening_order(vignette: Vignette) -> list[Test]:
    affected = vignette.base.get("affected_side")

    def rank(test: Test) -> tuple[int, int, int]:
        kind, side, target = test
        routine = SCREENING_STUDIES if kind == "nerve_conduction" else SCREENING_MUSCLES
        place = routine.index(target) if target in routine else len(routine)
        return (kind != "nerve_conduction", side != affected, place)

    return sorted(vignette.pool, key=rank)


def _oracle_order(vignette: Vignette, scorer: Scorer) -> list[Test]:
    order: list[Test] = []
    left = list(vignette.pool)
    while left:
        best = max(left, key=lambda test: scorer([*order, test])[0])
        order.append(best)
        left.remove(best)
    return order


def _figures(orders: Sequence[list[Test]], scorer: Scorer, figures: Figures) -> None:
    """Add one vignette's figures, averaged over `orders` (one, or the random shuffles)."""
    after = {step: [] for step in STEPS}  # type: dict[int, list[float]]
    stable: list[float] = []
    final_right = scorer(orders[0])[1]
    for order in orders:
        for step in STEPS:
            after[step].append(scorer(order[: min(step, len(order))])[0])
        if final_right:
            leaders = [scorer(order[:n])[1] for n in range(len(order) + 1)]
            wrong = [n for n, right in enumerate(leaders) if not right]
            stable.append(float(wrong[-1] + 1) if wrong else 0.0)
    for step in STEPS:
        figures.after[step].append(statistics.fmean(after[step]))
    if stable:
        figures.stable.append(statistics.fmean(stable))
        if not scorer([])[1]:
            figures.needed.append(statistics.fmean(stable))


def first_choices(kb: KnowledgeBase) -> dict[str, int]:
    """With the electrodiagnosis removed, what the assessment proposes first, over the vignettes:
    how often the anal sphincter leads, how often a plan stops, how often the LFCN SNAP comes
    before the saphenous SNAP when both are proposed."""
    counts = {
        "vignettes": 0,
        "sphincter first": 0,
        "no test proposed": 0,
        "lfcn before saphenous": 0,
    }
    for vignette in vignettes():
        case = _case(vignette, ())
        observations, answer = _scored(case, kb)
        plan = plan_study(case, observations, answer, kb, limit=50)
        counts["vignettes"] += 1
        targets = [t.target for t in plan.tests]
        counts["sphincter first"] += bool(targets) and targets[0] == "external_anal_sphincter"
        counts["no test proposed"] += not targets
        if "lateral_femoral_cutaneous_snap" in targets and "saphenous_snap" in targets:
            lfcn = targets.index("lateral_femoral_cutaneous_snap")
            counts["lfcn before saphenous"] += lfcn < targets.index("saphenous_snap")
    return counts


def run(kb: KnowledgeBase) -> tuple[dict[str, Figures], int, list[float]]:
    names = ("planner", "random", "screening", "previous", "oracle")
    figures = {name: Figures({step: [] for step in STEPS}, [], []) for name in names}
    shuffler = random.Random(SEED)
    timings: list[float] = []
    cases = vignettes()
    for vignette in cases:
        scorer = Scorer(vignette, kb)
        shuffles = []
        for _ in range(SHUFFLES):
            order = list(vignette.pool)
            shuffler.shuffle(order)
            shuffles.append(order)
        orders: dict[str, list[list[Test]]] = {
            "planner": [_planner_order(vignette, kb, timings)],
            "random": shuffles,
            "screening": [_screening_order(vignette)],
            "previous": [_previous_order(vignette, kb)],
            "oracle": [_oracle_order(vignette, scorer)],
        }
        for name, made in orders.items():
            _figures(made, scorer, figures[name])
    return figures, len(cases), timings


def main() -> None:
    kb = knowledge_base()
    started = time.perf_counter()
    figures, count, timings = run(kb)
    print(
        f"next-test planner on {count} validation vignettes (electrodiagnosis removed and added "
        "back one test at a time)"
    )
    print("  mean probability of the right site after n tests; tests to a stable right answer")
    print(
        "  order     " + "".join(f"after {n}  " for n in STEPS) + " all cases   needing the study"
    )
    for name, found in figures.items():
        means = "".join(f"{statistics.fmean(found.after[n]):7.3f}  " for n in STEPS)
        stable = statistics.fmean(found.stable) if found.stable else float("nan")
        needed = statistics.fmean(found.needed) if found.needed else float("nan")
        print(
            f"  {name:10s}{means}{stable:5.2f} ({len(found.stable)})  "
            f"{needed:5.2f} ({len(found.needed)})"
        )
    planner = figures["planner"]
    fair = ("random", "screening")
    best = all(
        statistics.fmean(planner.after[n]) >= statistics.fmean(figures[o].after[n])
        for n in STEPS
        for o in fair
    ) and all(
        statistics.fmean(getattr(planner, which)) <= statistics.fmean(getattr(figures[o], which))
        for o in fair
        for which in ("stable", "needed")
        if getattr(planner, which)
    )
    print(f"  planner best on every figure against random and screening: {'yes' if best else 'NO'}")
    ordered = sorted(timings)
    print(
        f"  planner ranking of every test (all columns valued): p50 "
        f"{1000 * statistics.median(ordered):.2f} ms CPU over {len(ordered)} rankings"
    )
    counts = first_choices(kb)
    print(
        "  with the electrodiagnosis removed: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    print(f"  (took {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
