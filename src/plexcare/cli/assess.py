"""`plexcare assess`, `plexcare triage` and `plexcare schema`: the engine from a terminal.

Thin by design: read YAML or JSON, validate it into the engine's types, call the engine, print.
Bad input stops with one message naming the file and field, and exit status 2, never a
traceback; the report itself is drawn by `plexcare.cli.report`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.console import Console

from plexcare.cli.assess_report import print_assessment, print_triage
from plexcare.engine.assessment import assess
from plexcare.engine.case import Case
from plexcare.engine.case_batch import CaseInputError, read_case
from plexcare.engine.case_names import CaseError
from plexcare.engine.triage import TriageAnswerError, triage
from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.red_flag_model import RED_FLAG_URGENCY_ORDER

console = Console()
errors = Console(stderr=True)
schema_app = typer.Typer(help="Print the JSON Schema of plexcare's inputs.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error[/]: {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _kb() -> KnowledgeBase:
    try:
        return knowledge_base()
    except KnowledgeBaseError as error:
        raise _fail(f"knowledge base: {error}") from None


def _read(path: Path) -> Any:
    """YAML or JSON from disk (JSON is YAML), as plain data."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=yaml.CSafeLoader)
    except FileNotFoundError:
        raise _fail(f"{path}: no such file") from None
    except IsADirectoryError:
        raise _fail(f"{path}: is a folder (use --batch for a folder of cases)") from None
    except UnicodeDecodeError:
        raise _fail(f"{path}: not a text file (expected UTF-8 YAML or JSON)") from None
    except OSError as error:
        raise _fail(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise _fail(f"{path}: not valid YAML or JSON{where}") from None


def assess_command(
    case_file: Path | None = typer.Argument(None, help="A case in YAML or JSON."),
    batch: Path | None = typer.Option(
        None,
        "--batch",
        help=(
            "A folder of case files (YAML, JSON, or JSON Lines with a case a line), or one "
            ".jsonl file: localization and etiology for each."
        ),
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
    jobs: int = typer.Option(
        0,
        "--jobs",
        min=0,
        help="Processes for a big --batch (0: one per processor core).",
    ),
) -> None:
    """Assess a case: localization, causes, red flags, next tests, work-up and plan."""
    kb = _kb()
    if batch is not None:
        _assess_folder(batch, as_json, jobs)
        return
    if case_file is None:
        raise _fail("give a case file, or --batch FOLDER")
    raw = _read(case_file)
    if not isinstance(raw, dict):
        raise _fail(f"{case_file}: expected a mapping of case fields at the top level")
    try:
        assessment = assess(read_case(str(case_file), raw), kb)
    except CaseInputError as error:
        raise _fail(str(error)) from None
    except CaseError as error:
        raise _fail(f"{case_file}: {error}") from None
    if as_json:
        typer.echo(json.dumps(assessment.to_dict(), indent=2))
    else:
        print_assessment(console, assessment)


def _assess_folder(target: Path, as_json: bool, jobs: int) -> None:
    """A row for every case in the folder (or JSON Lines file), as JSON or one line each.

    The cycle collector stays paused over the whole batch, its listing and printing
    included, not only while each share is read and assessed: resumed in between, it would
    walk the batch's cases and rows (a second per 20,000 cases) for nothing.
    The batch's reading is imported here: building the case model's twin and its tables
    would otherwise be paid by every `plexcare` command at start-up.
    """
    from plexcare.cli.assess_batch import batch_report, default_workers, memory_kept_for_reuse
    from plexcare.cli.collector import collection_paused

    memory_kept_for_reuse()
    with collection_paused():
        try:
            report = batch_report(target, as_json, jobs or default_workers())
        except CaseInputError as error:
            raise _fail(str(error)) from None
        if report:
            sys.stdout.flush()
            for part in (*report, b"\n"):  # a part at a time: a test's capture takes `write`
                sys.stdout.buffer.write(part)
            sys.stdout.buffer.flush()


def triage_command(
    answers_file: Path = typer.Argument(..., help="Self-check answers in YAML or JSON."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """The patient self-check: how soon to be seen, and by whom."""
    kb = _kb()
    raw = _read(answers_file)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _fail(f"{answers_file}: expected a mapping of question: answer")
    try:
        advice = triage(raw, kb)
    except TriageAnswerError as error:
        raise _fail(f"{answers_file}: field '{error.field}': {error.problem}") from None
    if as_json:
        payload = {
            "urgency": advice.urgency,
            "see": list(advice.see),
            "reasons": [r.reason for r in advice.reasons],
            "further_advice": [r.reason for r in advice.further_advice],
            "red_flags": [r.rule for r in advice.reasons if r.urgency in RED_FLAG_URGENCY_ORDER],
            "unanswered_warnings": list(advice.unanswered_warnings),
            "could_change": list(advice.could_change),
            "notice": advice.notice,
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        print_triage(console, advice)


def case_schema_json() -> str:
    """The Case JSON Schema exactly as `schemas/case.schema.json` stores it."""
    return json.dumps(Case.model_json_schema(), indent=2) + "\n"


@schema_app.command("case")
def schema_case() -> None:
    """Print the JSON Schema of a case file."""
    typer.echo(case_schema_json(), nl=False)
