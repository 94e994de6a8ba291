"""`make mutate`: mutation testing of the modules that hold the clinic's promises.

A test suite that passes says nothing about the rules nobody tests. mutmut (configured in
pyproject.toml, `[tool.mutmut]`) changes one thing at a time in the scheduling service and
policy, the access checks, CSRF, uploads, the callback rate limits, the audit log, triage and
the red-flag rules, and runs the tests that reach the changed function; a change no test
notices (a *surviving mutant*) is a promise kept only by luck. This script runs mutmut from a
fresh `./mutants`, times it, and writes every survivor (module, line, the change, and the
listed rule it touches, if any) to `var/mutation-report.txt`, the figures that
docs/RELIABILITY.md ("Mutation testing") quotes.

Usage::

    make mutate                                      # the same as:
    CI=true .venv/bin/python -m bench.mutation       # --report-only re-reads ./mutants
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mutmut.configuration import config
from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files
from mutmut.utils.format_utils import orig_function_and_class_names_from_key

REPORT = Path("var/mutation-report.txt")
RUN_LOG = Path("var/mutation-run.log")
MUTANTS = Path("mutants")
WORKERS = 2
"""This machine's two cores; more workers only make each test wait for the CPU."""


@dataclass(frozen=True)
class Rule:
    """A promise from issue 17 or docs/safety.md, and where in the mutated modules it lives.

    A mutant touches the rule when it is in `module`, in one of `functions` (all when empty),
    and the statement it changes matches `statement` (any when None).
    """

    name: str
    module: str
    functions: tuple[str, ...] = ()
    statement: str | None = None


RULES = (
    Rule(
        "patients see only their own records",
        "plexcare.accounts.actor",
        ("Actor.ensure_may_see_patient", "Actor.require_role", "Actor.is_patient"),
    ),
    Rule(
        "patients see only their own records",
        "plexcare.scheduling.service",
        ("_resolve_patient", "_ensure_patient"),
    ),
    Rule(
        "patients see only their own records",
        "plexcare.scheduling.service",
        ("release_hold",),
        r"ensure_may_see_patient",
    ),
    Rule(
        "booking pause after missed appointments",
        "plexcare.scheduling.service",
        ("book",),
        r"is_booking_restricted|strikes",
    ),
    Rule(
        "booking pause after missed appointments",
        "plexcare.scheduling.policy",
        ("is_booking_restricted", "NoShowPolicy.__post_init__"),
    ),
    Rule(
        "rooms and machines are never double-booked",
        "plexcare.scheduling.service",
        ("_create_appointment",),
        r"resource",
    ),
    Rule(
        "every read and write of patient data is audited",
        "plexcare.audit.service",
        ("record_access", "record_access_now", "_event_values"),
    ),
    Rule(
        "every read and write of patient data is audited",
        "plexcare.scheduling.service",
        (),
        r"audit\.",
    ),
    Rule(
        "every read and write of patient data is audited",
        "plexcare.triage.service",
        ("self_check",),
        r"audit\.",
    ),
    Rule("signed-in forms need the CSRF token", "plexcare.portal.csrf"),
    Rule(
        "signed-in forms need the CSRF token",
        "plexcare.portal.rendering",
        ("posted_form", "gate_form"),
    ),
    Rule(
        "callbacks: 3 a day per number, 5 an hour per client",
        "plexcare.callbacks.rate_limit",
        (
            "decide",
            "client_key",
            "RateLimit.__post_init__",
            "CallbackRateLimiter.check",
            "CallbackRateLimiter._trim",
            "CallbackRateLimiter.forget_expired",
        ),
    ),
    Rule(
        "a refused upload leaves nothing behind",
        "plexcare.second_opinions.uploads",
        ("store_upload",),
    ),
    Rule(
        "the self-check's result is saved for a signed-in patient",
        "plexcare.triage.service",
        ("self_check",),
        r"saved|record|is_patient|user_id",
    ),
    Rule(
        "triage: emergency gets no slot, same day within 24 h, urgent within 3 days",
        "plexcare.triage.service",
        ("_route", "offered_slots", "_first_visit_type_ids", "specialty_for"),
    ),
    Rule(
        "triage: emergency gets no slot, same day within 24 h, urgent within 3 days",
        "plexcare.triage.service",
        ("self_check",),
        r"in_time|limit|due|callback",
    ),
    Rule(
        "red flags: one rule set; an unknown fact neither fires nor silences a rule",
        "plexcare.engine.red_flag_rules",
    ),
    Rule(
        "red flags: one rule set; an unknown fact neither fires nor silences a rule",
        "plexcare.engine.triage",
        (
            "triage",
            "warning_facts_from_answers",
            "_signal_holds",
            "_blank_questions",
            "_holds",
            "TriageAdvice.warnings_open",
        ),
    ),
    Rule(
        "red flags: one rule set; an unknown fact neither fires nor silences a rule",
        "plexcare.engine.red_flags",
        ("raise_red_flags",),
    ),
)


@dataclass(frozen=True)
class Equivalent:
    """A survivor that changes nothing a patient, a caller or the database could notice, so no
    test can kill it. `change` is a piece of the mutated line as the report prints it."""

    module: str
    function: str
    change: str
    why: str


EQUIVALENTS = (
    Equivalent(
        "plexcare.portal.csrf",
        "_token_for",
        'b"XXplexcare-csrf:XX"',
        "the label only keeps these HMACs apart from others under the same key",
    ),
    Equivalent(
        "plexcare.portal.csrf",
        "_token_for",
        'b"PLEXCARE-CSRF:"',
        "the label only keeps these HMACs apart from others under the same key",
    ),
    Equivalent(
        "plexcare.portal.csrf",
        "set_visit_cookie",
        'samesite="lax",  →  (deleted)',
        "Starlette's default is SameSite=Lax",
    ),
    Equivalent(
        "plexcare.portal.csrf",
        "set_visit_cookie",
        'path="/", )  →  )',
        "Starlette's default path is /",
    ),
    Equivalent(
        "plexcare.portal.csrf",
        "set_visit_cookie",
        "secure=get_settings().secure_cookies,  →  (deleted)",
        "the default is not Secure; with secure_cookies on, the security-headers middleware "
        "marks every cookie Secure anyway",
    ),
    Equivalent(
        "plexcare.portal.csrf",
        "form_token",
        "token_urlsafe(None)",
        "None means the default of 32 random bytes",
    ),
    Equivalent(
        "plexcare.portal.csrf",
        "form_token",
        "token_urlsafe(33)",
        "33 random bytes are as unguessable as 32",
    ),
    Equivalent(
        "plexcare.callbacks.rate_limit",
        "CallbackRateLimiter._trim",
        "attempts[0] < now - window",
        "`decide` counts only attempts after now - window, so one exactly a window old is "
        "ignored either way",
    ),
    Equivalent(
        "plexcare.callbacks.rate_limit",
        "_require_aware",
        "value.tzinfo is None and value.utcoffset() is None",
        "only a hand-written tzinfo has no offset; zoneinfo and timezone always give one",
    ),
    Equivalent(
        "plexcare.scheduling.policy",
        "_require_aware",
        "value.tzinfo is None and value.utcoffset() is None",
        "only a hand-written tzinfo has no offset; zoneinfo and timezone always give one",
    ),
    Equivalent(
        "plexcare.engine.triage",
        "check_answers",
        "get_close_matches(key, questions, cutoff=0.5)",
        "3 is difflib's default number of matches",
    ),
    Equivalent(
        "plexcare.engine.triage",
        "_holds",
        "return False  →  return True",
        "no condition in triage.yaml compares a yes/no or choice answer with a number",
    ),
    Equivalent(
        "plexcare.engine.triage",
        "_holds",
        "value >= condition.at_most",
        "no condition or signal in triage.yaml has an upper bound",
    ),
    Equivalent(
        "plexcare.engine.triage",
        "_signal_holds",
        "at_most",
        "no condition or signal in triage.yaml has an upper bound",
    ),
    Equivalent(
        "plexcare.engine.triage",
        "warning_facts_from_answers",
        "frozenset(absent), )",
        "the self-check never shows the evidence behind a fact",
    ),
    Equivalent(
        "plexcare.engine.red_flags",
        "anticoagulant_advice",
        "drug.upper().strip()",
        "every drug name in red_flags.yaml also matches word by word",
    ),
    Equivalent(
        "plexcare.engine.red_flags",
        "_alert",
        "fact.replace(",
        "every present fact has evidence, so the fallback wording is never used",
    ),
    Equivalent(
        "plexcare.engine.red_flags",
        "raise_red_flags",
        "warning_facts_from_case(case, kb,",
        "without `found` the same findings are derived again, only slower",
    ),
    Equivalent(
        "plexcare.portal.rendering",
        "Visit.frame",
        'current: str = "XXXX"',
        "no menu link is called that either, so a page that names none still marks none",
    ),
    Equivalent(
        "plexcare.portal.rendering",
        "safe_next",
        'default: str = "XX/XX"',
        "every caller passes its own default",
    ),
    Equivalent(
        "plexcare.portal.rendering",
        "gate",
        "visit.actor.user_id is None and visit.visitor is None",
        "a live session or token always belongs to an existing account, so the visitor is "
        "known whenever the user id is",
    ),
    Equivalent(
        "plexcare.portal.rendering",
        "gate",
        '→  allowed = "XX or XX".join',
        "every page today admits one role, patient or clinician, with no underscore in it",
    ),
    Equivalent(
        "plexcare.portal.rendering",
        "gate",
        '→  allowed = " OR ".join',
        "every page today admits one role, patient or clinician, with no underscore in it",
    ),
    Equivalent(
        "plexcare.portal.rendering",
        "gate",
        'role.value.replace("XX_XX", " ")',
        "every page today admits one role, patient or clinician, with no underscore in it",
    ),
    Equivalent(
        "plexcare.portal.rendering",
        "gate",
        'role.value.replace("_", "XX XX")',
        "every page today admits one role, patient or clinician, with no underscore in it",
    ),
    Equivalent(
        "plexcare.portal.rendering",
        "login_redirect",
        "safe='XXXX'",
        "X is never quoted anyway",
    ),
    Equivalent(
        "plexcare.triage.service",
        "offered_slots",
        "limit=401,",
        "a longer search never changes the first five first-visit slots",
    ),
    Equivalent(
        "plexcare.triage.service",
        "_route",
        "within_days=2,",
        "slots after the next 24 hours are dropped by `starts_before` anyway",
    ),
    Equivalent(
        "plexcare.triage.service",
        "self_check",
        "due - now < limit",
        "with phone hours 8:00-18:00 on weekdays no call falls due exactly 24 or 72 hours on",
    ),
    Equivalent(
        "plexcare.second_opinions.uploads",
        "describe_size",
        "if size > MEGABYTE:",
        "a whole megabyte is taken by the line before",
    ),
    Equivalent(
        "plexcare.second_opinions.uploads",
        "verify_upload",
        "handle.read(None)",
        "reading the file at once gives the same hash (it is at most the upload limit)",
    ),
)


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    function: str
    status: str
    path: Path
    line: int
    change: str
    rules: tuple[str, ...]
    wording: bool
    equivalent: str | None

    @property
    def defect(self) -> bool:
        """A survivor on a listed rule that is neither wording nor equivalent."""
        return (
            self.status == "survived"
            and bool(self.rules)
            and not self.wording
            and self.equivalent is None
        )


def run_mutmut() -> float:
    """Run mutmut from a fresh copy; return the minutes it took."""
    for variable in ("PLEXCARE_TEST_DATABASE_URL",):
        if not os.environ.get(variable):
            sys.exit(f"{variable} is not set: the PostgreSQL tests must run (use `make mutate`)")
    # mutmut's type check runs a bare `mypy`, so this environment's scripts come first.
    scripts = str(Path(sys.executable).parent)
    environment = {**os.environ, "CI": "true", "PATH": scripts + os.pathsep + os.environ["PATH"]}
    shutil.rmtree(MUTANTS, ignore_errors=True)
    RUN_LOG.parent.mkdir(parents=True, exist_ok=True)
    mutmut = Path(sys.executable).with_name("mutmut")
    started = time.monotonic()
    with RUN_LOG.open("w") as log:
        finished = subprocess.run(
            [str(mutmut), "run", "--max-children", str(WORKERS)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            check=False,
        )
    minutes = (time.monotonic() - started) / 60
    if finished.returncode != 0:
        tail = RUN_LOG.read_text(errors="replace")[-3000:]
        sys.exit(f"mutmut failed (exit {finished.returncode}); end of {RUN_LOG}:\n{tail}")
    return minutes


def _function_spans(source: str) -> dict[str, tuple[int, ast.AST]]:
    """Each top-level function and method: its first line (decorators included) and node."""
    spans: dict[str, tuple[int, ast.AST]] = {}
    for node in ast.parse(source).body:
        members: Iterable[tuple[str, ast.stmt]]
        if isinstance(node, ast.ClassDef):
            members = ((f"{node.name}.", member) for member in node.body)
        else:
            members = (("", node),)
        for prefix, member in members:
            if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([member.lineno, *(d.lineno for d in member.decorator_list)])
                spans[prefix + member.name] = (first, member)
    return spans


def _innermost_statement(function: ast.AST, line: int) -> ast.stmt | None:
    """The innermost statement on `line`; a compound statement counts by its header only."""
    best: ast.stmt | None = None
    for node in ast.walk(function):
        if not isinstance(node, ast.stmt) or node is function:
            continue
        if node.lineno <= line <= _header_end(node) and (
            best is None or node.lineno >= best.lineno
        ):
            best = node
    return best


def _header_end(node: ast.stmt) -> int:
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        return max(node.lineno, body[0].lineno - 1)
    return node.end_lineno or node.lineno


_HUNK = re.compile(r"^@@ -(\d+)")


def _change(diff: str, first_line: int) -> tuple[int, str]:
    """The source line of the first changed line, and the change as `old  →  new`."""
    removed: list[str] = []
    added: list[str] = []
    position = 0
    changed_at: int | None = None
    for text in diff.splitlines()[2:]:
        hunk = _HUNK.match(text)
        if hunk:
            position = int(hunk.group(1))
            continue
        if text.startswith("-"):
            removed.append(text[1:].strip())
            changed_at = changed_at or position
            position += 1
        elif text.startswith("+"):
            added.append(text[1:].strip())
            changed_at = changed_at or position
        else:
            position += 1
    line = first_line + (changed_at or 1) - 1
    old = " ".join(removed) or "(nothing)"
    new = " ".join(added) or "(deleted)"
    return line, f"{old}  →  {new}"


def _rules_for(module: str, function: str, statement: str) -> tuple[str, ...]:
    names: list[str] = []
    for rule in RULES:
        if rule.module != module or (rule.functions and function not in rule.functions):
            continue
        if rule.statement is not None and not re.search(rule.statement, statement):
            continue
        if rule.name not in names:
            names.append(rule.name)
    return tuple(names)


def _equivalent(module: str, function: str, change: str) -> str | None:
    for known in EQUIVALENTS:
        if (known.module, known.function) == (module, function) and known.change in change:
            return known.why
    return None


SETTLED = frozenset({"killed", "caught by type check", "not checked", "skipped"})
"""Verdicts that need no line of their own in the report."""


def collect() -> tuple[Counter[tuple[str, str]], list[Mutant]]:
    """Counts by (module, verdict), and the details of every mutant not settled."""
    counts: Counter[tuple[str, str]] = Counter()
    details: list[Mutant] = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        source = path.read_text()
        lines = source.splitlines()
        spans = _function_spans(source)
        module = ".".join(path.with_suffix("").parts[1:])
        for name, exit_code in sorted(data.exit_code_by_key.items(), key=_natural):
            status = status_by_exit_code[exit_code]
            counts[module, status] += 1
            if status in SETTLED:
                continue
            function_name, class_name = orig_function_and_class_names_from_key(name)
            function = f"{class_name}.{function_name}" if class_name else function_name
            first, node = spans[function]
            line, change = _change(get_diff_for_mutant(name, path=path), first)
            statement = _innermost_statement(node, line)
            text = (
                "\n".join(lines[statement.lineno - 1 : _header_end(statement)])
                if statement is not None
                else lines[line - 1]
            )
            details.append(
                Mutant(
                    name=name,
                    module=module,
                    function=function,
                    status=status,
                    path=path,
                    line=line,
                    change=change,
                    rules=_rules_for(module, function, text),
                    # mutmut never removes a `raise`: a change inside one only rewords the
                    # refusal (its text or the field it names), never whether it happens.
                    wording=isinstance(statement, ast.Raise),
                    equivalent=_equivalent(module, function, change),
                )
            )
    return counts, details


def _natural(item: tuple[str, int | None]) -> tuple[str, int]:
    stem, _, number = item[0].rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


COLUMNS = {
    "killed": "killed",
    "caught by type check": "mypy",
    "survived": "survived",
    "timeout": "timeout",
    "no tests": "no tests",
    "suspicious": "suspicious",
    "segfault": "crashed",
    "skipped": "skipped",
    "not checked": "unchecked",
}
"""mutmut's verdicts, and the column each is counted in ("mypy": refused by mypy --strict,
so never run: it could not pass `make lint`)."""


def _tag(mutant: Mutant) -> str:
    if mutant.status != "survived":
        return f" ({mutant.status})"
    if mutant.equivalent is not None:
        return f"  [equivalent: {mutant.equivalent}]"
    if mutant.wording:
        return "  [wording of a refusal]"
    if mutant.rules:
        return f"  [DEFECT, RULE: {'; '.join(mutant.rules)}]"
    return ""


def render(counts: Counter[tuple[str, str]], mutants: list[Mutant], minutes: float | None) -> str:
    modules = sorted({module for module, _ in counts})
    totals = Counter[str]()
    for (_, status), number in counts.items():
        totals[status] += number
    shown = [status for status in COLUMNS if totals[status]]
    survivors = [m for m in mutants if m.status == "survived"]
    equivalent = sum(1 for m in survivors if m.equivalent is not None)
    wording = sum(1 for m in survivors if m.wording and m.equivalent is None)
    defects = sum(1 for m in survivors if m.defect)
    took = f" in {minutes:.1f} minutes" if minutes is not None else ""
    out = [
        "Mutation testing: the modules that hold the promises (`make mutate`, mutmut)",
        "",
        f"{sum(totals.values())} mutants{took}: "
        + ", ".join(f"{totals[status]} {COLUMNS[status]}" for status in shown),
        f"survivors: {len(survivors)} = {equivalent} equivalent + {wording} wording of a "
        f"refusal + {len(survivors) - equivalent - wording} real, of which {defects} on a "
        "listed rule (defects)",
        "",
    ]
    width = max([len("module"), *(len(module) for module in modules)])
    header = f"{'module':<{width}}" + "".join(f"{COLUMNS[status]:>11}" for status in shown)
    out.extend([header, "-" * len(header)])
    for module in modules:
        out.append(f"{module:<{width}}" + "".join(f"{counts[module, s]:>11}" for s in shown))
    for module in modules:
        left = [m for m in mutants if m.module == module]
        if not left:
            continue
        out.extend(["", f"== {module}: {len(left)} not killed"])
        for mutant in sorted(left, key=lambda m: (m.line, _natural((m.name, None)))):
            out.append(f"  {mutant.path}:{mutant.line} {mutant.function}{_tag(mutant)}")
            out.append(f"      {mutant.change}")
            out.append(f"      mutmut show {mutant.name}")
    return "\n".join(out) + "\n"


def main(arguments: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--report-only", action="store_true", help="summarise ./mutants without running mutmut"
    )
    options = parser.parse_args(arguments)
    minutes = None if options.report_only else run_mutmut()
    assert config().source_paths, "pyproject.toml has no [tool.mutmut] section"
    counts, mutants = collect()
    report = render(counts, mutants, minutes)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    summary_end = report.index("\n== ") if "\n== " in report else len(report)
    print(report[:summary_end])
    print(f"every survivor, with its line and change: {REPORT}")


if __name__ == "__main__":
    main()
