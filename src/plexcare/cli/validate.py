"""`plexcare validate`: the engine scored against the validation vignettes, with calibration.

Thin like `plexcare assess`: read the table of expected answers and the cases it names,
assess each case, score it (`engine.validation`), print. With `--synthetic N` it also draws N
held-out synthetic cases from the richer generative model (`engine.synthetic_cases`) and
prints the calibration of site, cause and plexopathy with and without the knowledge base's
tempering. Exit status 1 when a target is missed, 2 on bad input.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import typer
from pydantic import ValidationError

from plexcare.cli.assess import _fail, _kb, _read
from plexcare.engine.assessment import assess
from plexcare.engine.calibration import Calibration, JointCalibration, evaluate
from plexcare.engine.case import Case
from plexcare.engine.case_names import CaseError
from plexcare.engine.site_and_cause import Tempering, parts, site_and_cause_model
from plexcare.engine.synthetic_cases import draw_cases
from plexcare.engine.validation import (
    ExpectedAnswer,
    ValidationSummary,
    VignetteResult,
    check,
    summarise,
)
from plexcare.knowledge.model import KnowledgeBase

TABLE = Path("tests/engine/vignettes/expected/answers.yaml")
HELD_OUT_SEED = 23
"""The synthetic held-out set's seed; the tempering was fitted on another (bench.validation)."""
PLAIN = Tempering(1.0, 1.0, 1.0)


def read_table(path: Path) -> list[ExpectedAnswer]:
    """The expected answers, one per row of the table."""
    raw = _read(path)
    if not isinstance(raw, list):
        raise _fail(f"{path}: expected a list of expected answers")
    answers: list[ExpectedAnswer] = []
    for index, row in enumerate(raw):
        if not isinstance(row, dict) or "file" not in row:
            raise _fail(f"{path}: row {index + 1}: expected a mapping with a 'file'")
        answers.append(
            ExpectedAnswer(
                file=str(row["file"]),
                sites=tuple(row.get("sites") or ()),
                side=row.get("side"),
                plexopathy=row.get("plexopathy"),
                causes=tuple(row.get("causes") or ()),
                red_flags=tuple(row.get("red_flags") or ()),
                uncertain=bool(row.get("uncertain", False)),
                sources=tuple(row.get("sources") or ()),
            )
        )
    return answers


def validate_vignettes(
    answers: Sequence[ExpectedAnswer], root: Path, kb: KnowledgeBase
) -> list[VignetteResult]:
    """Assess every case the table names and compare it with its expected answer."""
    results: list[VignetteResult] = []
    for answer in answers:
        path = root / answer.file
        try:
            case = Case.model_validate(_read(path))
            results.append(check(answer, assess(case, kb)))
        except ValidationError as error:
            raise _fail(f"{path}: {error.errors()[0]['msg']}") from None
        except CaseError as error:
            raise _fail(f"{path}: {error}") from None
    return results


def synthetic_calibration(
    kb: KnowledgeBase, count: int, seed: int = HELD_OUT_SEED
) -> tuple[JointCalibration, JointCalibration]:
    """Held-out synthetic calibration without tempering and with the knowledge base's."""
    model = site_and_cause_model(kb)
    cases = draw_cases(model, kb, np.random.default_rng(seed), count)
    scored = [parts(model, case.evidence) for case in cases]
    sites = [case.site for case in cases]
    causes = [case.cause for case in cases]
    return (
        evaluate(model, scored, sites, causes, PLAIN),
        evaluate(model, scored, sites, causes, model.tempering),
    )


def _calibration_line(name: str, figures: Calibration) -> str:
    return (
        f"  {name:<11} n={figures.count:<5d} accuracy {figures.accuracy:6.1%}  "
        f"Brier {figures.brier:.3f}  ECE {figures.ece:.3f}  log loss {figures.log_loss:.3f}  "
        f"confident-and-wrong {figures.confident_and_wrong}"
    )


def report_lines(summary: ValidationSummary, results: Sequence[VignetteResult]) -> list[str]:
    """The vignette report as printed lines: misses first, then the figures and curves."""
    lines = [f"validation vignettes: {summary.count}"]
    for result in results:
        if result.passed:
            continue
        cause, probability = result.leading_causes[0]
        lines.append(
            f"  MISS {Path(result.expected.file).name}: {result.leader} "
            f"{result.leader_probability:.0%}; {cause} {probability:.0%}"
            + (f"; missing flags {', '.join(result.flags_missing)}" if result.flags_missing else "")
        )
    lines += [
        f"  top-1 localization (site and side): {summary.top_one:.1%}",
        f"  plexopathy agreement:               {summary.plexopathy_agreement:.1%}",
        f"  cause in top 2:                     {summary.cause_in_top_two:.1%}",
        f"  red-flag recall:                    {summary.red_flag_recall:.1%}",
        f"  confident (>= 90 %) and wrong:      {summary.confident_and_wrong}",
        "calibration on the vignettes (leading answer right?)",
        _calibration_line("site", summary.site_calibration),
        summary.site_calibration.curve(),
        _calibration_line("cause", summary.cause_calibration),
        summary.cause_calibration.curve(),
        _calibration_line("plexopathy", summary.plexopathy_calibration),
    ]
    for target, met in summary.targets_met.items():
        lines.append(f"  target {target}: {'met' if met else 'NOT met'}")
    return lines


def synthetic_lines(plain: JointCalibration, tempered: JointCalibration) -> list[str]:
    lines = []
    for name, result in (("untempered", plain), ("tempered", tempered)):
        t = result.tempering
        lines.append(
            f"synthetic held-out, {name} (electrodiagnosis {t.electrodiagnosis}, history "
            f"{t.history}, imaging {t.imaging}, within organ {t.within_end_organ}, within nerve "
            f"{t.within_nerve}): joint log loss {result.joint_log_loss:.3f}"
        )
        lines.append(_calibration_line("site", result.site))
        lines.append(_calibration_line("cause", result.cause))
        lines.append(_calibration_line("plexopathy", result.plexopathy))
    lines.append("synthetic held-out reliability of the leading site, tempered")
    lines.append(tempered.site.curve())
    return lines


def _json(summary: ValidationSummary, results: Sequence[VignetteResult]) -> dict[str, Any]:
    figures = asdict(summary)
    figures["targets_met"] = summary.targets_met
    figures["vignettes"] = [
        {
            "file": r.expected.file,
            "passed": r.passed,
            "leader": r.leader,
            "leader_probability": round(r.leader_probability, 4),
            "plexopathy_probability": round(r.plexopathy_probability, 4),
            "leading_causes": [[c, round(p, 4)] for c, p in r.leading_causes],
            "flags_missing": list(r.flags_missing),
        }
        for r in results
    ]
    return figures


def validate_command(
    table: Path = typer.Option(TABLE, "--table", help="The table of expected answers."),
    root: Path = typer.Option(
        Path("."), "--root", help="The folder the table's case paths are relative to."
    ),
    synthetic: int = typer.Option(
        0, "--synthetic", min=0, help="Also report calibration on N held-out synthetic cases."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Score the engine on the validation vignettes: site, cause, red flags, calibration."""
    kb = _kb()
    path = table if table.is_absolute() else root / table
    results = validate_vignettes(read_table(path), root, kb)
    summary = summarise(results)
    if as_json:
        payload = _json(summary, results)
        if synthetic:
            plain, tempered = synthetic_calibration(kb, synthetic)
            payload["synthetic"] = {"untempered": asdict(plain), "tempered": asdict(tempered)}
        typer.echo(json.dumps(payload, indent=2, default=float))
    else:
        for line in report_lines(summary, results):
            typer.echo(line)
        if synthetic:
            for line in synthetic_lines(*synthetic_calibration(kb, synthetic)):
                typer.echo(line)
    if not all(summary.targets_met.values()):
        raise typer.Exit(1)
