"""Localization speed, and the same model run in pgmpy and pyAgrum to check the answers agree.

Cases are sampled from the model itself (a random lesion, a random background polyneuropathy,
25 random tests with outcomes drawn from the likelihood tables), written as ordinary `Case`
objects, so the batch timing includes turning cases into finding arrays.

Targets (issue 3 and DESIGN.md): one case p50 < 5 ms (aim 2 ms); >= 50x pgmpy; posteriors
agree with both libraries to 1e-6. Issue 10: >= 50,000 cases/s in a batch, case -> arrays and
name checks included. The batch line is followed by where its time goes: reading the cases
(names checked, findings into the matrix) and the posterior.
"""

from __future__ import annotations

import logging
import statistics
import time
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import Case
from plexcare.engine.finding_model import FindingKind
from plexcare.engine.findings import FindingSpec, observe
from plexcare.engine.likelihood import LocalizationModel
from plexcare.engine.localization import localization_model, localize, localize_batch
from plexcare.engine.observation_plan import observe_batch
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase

SEED = 20261125
AGE = 55  # below every age band, with no diabetes: one background prior for all cases
WEEKS = 6.0  # one time bin, so the library models need one set of tables
TIME_BIN = 4
TESTS_PER_CASE = 25
SINGLE_CASES = 1_000
BATCH_CASES = 20_000
PGMPY_CASES = 60
PYAGRUM_CASES = 300

Evidence = dict[str, int]


def _case_fields(spec: FindingSpec, abnormal: bool) -> tuple[str, str, str, Any] | None:
    """The case field that records one finding column as abnormal or normal.

    Severe weakness (judged only in a weak muscle) and side differences (judged against the
    other side) are left out: drawn alone they would make cases no clinician records.
    """
    side, organ = spec.organ.side, spec.organ.id
    if spec.kind is FindingKind.FIBRILLATIONS:
        return ("emg", side, organ, {"fibrillations": 2 if abnormal else 0})
    if spec.kind is FindingKind.WEAKNESS and spec.organ.type == "muscle":
        return ("strength", side, organ, 3 if abnormal else 5)
    if spec.kind is FindingKind.HYPOREFLEXIA:
        return ("reflexes", side, organ, "absent" if abnormal else "normal")
    if spec.kind is FindingKind.SENSORY_LOSS:
        return ("sensation", side, organ, "reduced" if abnormal else "normal")
    if spec.kind in (FindingKind.SNAP_LOW, FindingKind.CMAP_LOW) and not spec.aged:
        return ("nerve_conduction", side, organ, {"grade": "reduced" if abnormal else "normal"})
    if spec.kind is FindingKind.CONDUCTION_BLOCK:
        if spec.segment:
            block = {"segments": {spec.segment: {"conduction_block": abnormal}}}
            return ("nerve_conduction", side, organ, block)
        return ("nerve_conduction", side, organ, {"conduction_block": abnormal})
    if spec.kind is FindingKind.TEMPORAL_DISPERSION:
        return ("nerve_conduction", side, organ, {"temporal_dispersion": abnormal})
    return None


def _merge(into: dict[str, Any], value: dict[str, Any]) -> None:
    """Two findings drawn on one study (its amplitude and a block) go into one result."""
    for key, item in value.items():
        if isinstance(item, dict) and isinstance(into.get(key), dict):
            _merge(into[key], item)
        else:
            into[key] = item


def sample_cases(model: LocalizationModel, count: int, seed: int = SEED) -> list[Case]:
    rng = np.random.default_rng(seed)
    usable = [
        column
        for column, spec in enumerate(model.findings.specs)
        if _case_fields(spec, True) is not None
    ]
    k = model.candidate_count
    cases: list[Case] = []
    for number in range(count):
        lesion, background = int(rng.integers(k)), int(rng.random() < 0.2)
        data: dict[str, Any] = {"age": AGE, "sex": "female", "weeks_since_onset": WEEKS}
        data.update({"exam": {}, "nerve_conduction": {}, "emg": {}, "id": f"bench-{number}"})
        for column in rng.choice(usable, size=TESTS_PER_CASE, replace=False):
            p = model.abnormal[TIME_BIN, column, lesion, background]
            fields = _case_fields(model.findings.specs[column], bool(rng.random() < p))
            assert fields is not None
            part, side, organ, value = fields
            if part in ("strength", "reflexes", "sensation"):
                data["exam"].setdefault(side, {}).setdefault(part, {})[organ] = value
            else:
                _merge(data[part].setdefault(side, {}).setdefault(organ, {}), value)
        cases.append(Case.model_validate(data))
    return cases


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _evidence(model: LocalizationModel, case: Case, kb: KnowledgeBase) -> Evidence:
    observations = observe(case, model.findings, kb)
    evidence = {f"f{column}": 1 for column in observations.abnormal}
    evidence.update({f"f{column}": 0 for column in observations.normal})
    return evidence


def _ours(model: LocalizationModel, case: Case, kb: KnowledgeBase) -> npt.NDArray[np.float64]:
    observations = observe(case, model.findings, kb)
    joint = model.joint_posterior(observations)
    return np.concatenate([joint.sum(axis=1), [joint[:, 1].sum()]])


def _background_prior(model: LocalizationModel) -> float:
    return model.finding_model.background_prior(AGE, diabetic=False)


def run_pgmpy(model: LocalizationModel, evidences: list[Evidence]) -> tuple[list[Any], float]:
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.inference import VariableElimination
    from pgmpy.models import DiscreteBayesianNetwork

    logging.getLogger("pgmpy").setLevel(logging.ERROR)
    k = model.candidate_count
    columns = sorted({int(name[1:]) for evidence in evidences for name in evidence})
    network = DiscreteBayesianNetwork(
        [("lesion", f"f{c}") for c in columns] + [("background", f"f{c}") for c in columns]
    )
    b = _background_prior(model)
    cpds = [
        TabularCPD("lesion", k, np.exp(model.log_candidate_prior).reshape(k, 1)),
        TabularCPD("background", 2, [[1.0 - b], [b]]),
    ]
    for c in columns:
        abnormal = model.abnormal[TIME_BIN, c].reshape(1, k * 2)
        cpds.append(
            TabularCPD(
                f"f{c}",
                2,
                np.vstack([1.0 - abnormal, abnormal]),
                evidence=["lesion", "background"],
                evidence_card=[k, 2],
            )
        )
    network.add_cpds(*cpds)
    inference = VariableElimination(network)
    answers: list[Any] = []
    start = time.perf_counter()
    for evidence in evidences:
        factor = inference.query(
            ["lesion", "background"], evidence=evidence, joint=True, show_progress=False
        )
        joint = factor.values if factor.variables[0] == "lesion" else factor.values.T
        answers.append(np.concatenate([joint.sum(axis=1), [joint[:, 1].sum()]]))
    return answers, (time.perf_counter() - start) / len(evidences)


def run_pyagrum(model: LocalizationModel, evidences: list[Evidence]) -> tuple[list[Any], float]:
    import pyagrum as gum

    k = model.candidate_count
    columns = sorted({int(name[1:]) for evidence in evidences for name in evidence})
    network = gum.BayesNet("localization")
    lesion = network.add(gum.LabelizedVariable("lesion", "lesion", k))
    background = network.add(gum.LabelizedVariable("background", "background", 2))
    network.cpt(lesion).fillWith(np.exp(model.log_candidate_prior).tolist())
    b = _background_prior(model)
    network.cpt(background).fillWith([1.0 - b, b])
    for c in columns:
        node = network.add(gum.LabelizedVariable(f"f{c}", f"f{c}", 2))
        network.addArc(lesion, node)
        network.addArc(background, node)
        abnormal = model.abnormal[TIME_BIN, c].T  # background × lesion
        table = np.stack([1.0 - abnormal, abnormal], axis=-1)  # background × lesion × finding
        network.cpt(node).fillWith(table.ravel().tolist())
    inference = gum.LazyPropagation(network)
    inference.addTarget("lesion")
    inference.addTarget("background")
    answers: list[Any] = []
    start = time.perf_counter()
    for evidence in evidences:
        inference.eraseAllEvidence()
        inference.setEvidence(evidence)
        inference.makeInference()
        lesion_posterior = inference.posterior("lesion").toarray()
        background_posterior = inference.posterior("background").toarray()
        answers.append(np.concatenate([lesion_posterior, [background_posterior[1]]]))
    return answers, (time.perf_counter() - start) / len(evidences)


def _agreement(
    model: LocalizationModel, kb: KnowledgeBase, cases: list[Case], theirs: list[Any]
) -> float:
    return max(
        float(np.abs(_ours(model, c, kb) - t).max()) for c, t in zip(cases, theirs, strict=True)
    )


def _batch_parts(
    model: LocalizationModel, kb: KnowledgeBase, cases: list[Case]
) -> tuple[float, float]:
    """Best-of-three seconds for reading the batch (names and findings) and for its posterior."""
    reading, posterior = [], []
    for _ in range(3):
        start = time.perf_counter()
        batch = observe_batch(cases, model.findings, kb, model.finding_model, check_names=True)
        middle = time.perf_counter()
        model.joint_posterior_batch(batch)
        reading.append(middle - start)
        posterior.append(time.perf_counter() - middle)
    return min(reading), min(posterior)


def main() -> None:
    warnings.filterwarnings("ignore", category=FutureWarning)
    kb = knowledge_base()
    start = time.perf_counter()
    model = localization_model(kb)
    print(
        f"compile: {1000 * (time.perf_counter() - start):.0f} ms "
        f"({model.candidate_count} candidates x {len(model.findings.specs)} findings, "
        f"{model.abnormal.shape[0]} time bins)"
    )
    cases = sample_cases(model, BATCH_CASES)
    single: list[float] = []
    for case in cases[:SINGLE_CASES]:
        start = time.perf_counter()
        localize(case, kb)
        single.append(time.perf_counter() - start)
    print(
        f"localize one case: p50 {1000 * statistics.median(single):.3f} ms, "
        f"p99 {1000 * _percentile(single, 0.99):.3f} ms (target p50 < 5 ms, aim 2 ms)"
    )
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        localize_batch(cases, kb)
        timings.append(time.perf_counter() - start)
    batch_rate = len(cases) / min(timings)
    print(
        f"localize_batch: {batch_rate:,.0f} cases/s over {len(cases):,} cases incl. "
        "case -> arrays and name checks (target >= 50,000)"
    )
    reading, posterior = _batch_parts(model, kb, cases)
    print(
        f"  of which reading the cases {1000 * reading:.0f} ms, posterior {1000 * posterior:.0f} ms"
    )
    ours_per_case = min(timings) / len(cases)
    ours_single = statistics.median(single)
    for name, runner, count in (
        ("pgmpy", run_pgmpy, PGMPY_CASES),
        ("pyAgrum", run_pyagrum, PYAGRUM_CASES),
    ):
        subset = cases[:count]
        try:
            answers, per_case = runner(model, [_evidence(model, c, kb) for c in subset])
        except ImportError as error:
            print(f"{name}: not installed ({error})")
            continue
        difference = _agreement(model, kb, subset, answers)
        verdict = "agree" if difference < 1e-6 else "DISAGREE"
        print(
            f"{name}: {1000 * per_case:.2f} ms/case over {count} cases; max |diff| "
            f"{difference:.2e} ({verdict}); plexcare is {per_case / ours_per_case:,.0f}x "
            f"faster in batch, {per_case / ours_single:,.1f}x one case at a time"
        )


if __name__ == "__main__":
    main()
