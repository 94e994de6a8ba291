"""The assessment and self-check as a terminal report a clinician (or patient) reads top down.

Order follows clinical priority: red flags first, then where the lesion is, what causes it,
what to test next, what work-up is outstanding, the plan with this patient's cautions, and
the honest limits of the answer. Probabilities get bars so the shape of the differential is
visible at a glance.
"""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from plexcare.engine.assessment import Assessment
from plexcare.engine.localization import FindingWeight
from plexcare.engine.plan import PlanItem
from plexcare.engine.triage import URGENCY_HEADLINES, WARNINGS_OPEN_HEADLINE, TriageAdvice

BAR_WIDTH = 20
URGENCY_STYLE = {
    "emergency": "bold white on red",
    "same_day": "bold red",
    "urgent": "bold red",
    "soon": "bold yellow",
    "routine": "green",
}
SEVERITY_STYLE = {"contraindicated": "bold red", "adjust_dose": "yellow", "monitor": "cyan"}
WHOM = {
    "emergency_department": "an emergency department",
    "neurology": "a neurologist",
    "neurosurgery": "a spinal surgeon (neurosurgery)",
    "pain_medicine": "a pain specialist",
    "rehabilitation": "a rehabilitation team (physiotherapy)",
    "general_practice": "your GP",
}


def bar(probability: float) -> Text:
    filled = round(probability * BAR_WIDTH)
    text = Text("█" * filled, style="cyan")
    text.append("░" * (BAR_WIDTH - filled), style="dim")
    text.append(f" {probability:6.1%}")
    return text


def _header(assessment: Assessment) -> str:
    days = assessment.localization.days_since_onset
    when = f"{days / 7:.1f} weeks since onset" if days is not None else "time since onset unknown"
    case = assessment.case_id or "unnamed case"
    return f"plexcare assessment: {case} · {when} · knowledge base {assessment.kb_version}"


def _red_flags(console: Console, assessment: Assessment) -> None:
    if not assessment.red_flags:
        console.print("[green]No red flags raised.[/]")
        return
    table = Table(title="Red flags (raised whatever the ranking)", title_justify="left")
    table.add_column("urgency")
    table.add_column("finding")
    table.add_column("why it matters")
    for flag in assessment.red_flags:
        table.add_row(
            Text(flag.urgency, style=URGENCY_STYLE[flag.urgency]), flag.finding, flag.reason
        )
    console.print(table)


def _finding(weight: FindingWeight) -> str:
    """The finding as found: 'weakness of left Iliacus' or 'normal strength of left Iliacus'."""
    return weight.label


def _localization(console: Console, assessment: Assessment) -> None:
    result = assessment.localization
    table = Table(title="Where is the lesion?", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("lesion")
    table.add_column("probability", no_wrap=True)
    table.add_column("findings for (+) and against (−)")
    for rank, candidate in enumerate(result.candidates[:8], start=1):
        reasons = [f"+ {_finding(w)}" for w in candidate.supporting[:3]]
        reasons += [f"− {_finding(w)}" for w in candidate.contradicting[:2]]
        table.add_row(str(rank), candidate.label, bar(candidate.probability), "\n".join(reasons))
    console.print(table)
    console.print(
        "Probability that this is a lumbosacral plexopathy: "
        f"[bold]{result.plexopathy_probability:.0%}[/]"
        f" · background length-dependent polyneuropathy: {result.background_polyneuropathy:.0%}"
        f" · findings used: {result.findings_used}",
        highlight=False,
    )


def _etiology(console: Console, assessment: Assessment) -> None:
    table = Table(title="What is causing it?", title_justify="left")
    table.add_column("cause")
    table.add_column("probability", no_wrap=True)
    table.add_column("why")
    for cause in assessment.etiology[:6]:
        table.add_row(cause.name, bar(cause.probability), cause.explanation())
    console.print(table)


def _next_tests(console: Console, assessment: Assessment) -> None:
    plan = assessment.study_plan
    if assessment.next_tests:
        table = Table(
            title="Next best tests (expected information gain per cost)", title_justify="left"
        )
        table.add_column("test")
        table.add_column("gain", justify="right")
        table.add_column("why")
        for test in assessment.next_tests:
            table.add_row(test.name, f"{test.information_gain:.2f} bits", test.reason)
        console.print(table)
    if plan is not None and plan.summary:
        console.print(Text(f"Planned study: {plan.summary}."))
    if plan is not None and plan.note:
        console.print(Text(plan.note))


def _workup(console: Console, assessment: Assessment) -> None:
    if not assessment.workup:
        return
    table = Table(title="Work-up not yet done", title_justify="left")
    table.add_column("priority")
    table.add_column("test")
    table.add_column("when")
    table.add_column("why")
    for item in assessment.workup:
        table.add_row(
            Text(item.priority, style=URGENCY_STYLE[item.priority]),
            item.name,
            item.timing,
            item.reason,
        )
    console.print(table)


def _item_text(item: PlanItem) -> Text:
    text = Text(item.name, style="bold strike" if item.contraindicated else "bold")
    if item.contraindicated:
        text.append("  CONTRAINDICATED for this patient", style="bold red")
    text.append(f"\n{item.why}", style="dim")
    if item.dosing:
        text.append(f"\nDosing: {item.dosing}")
    text.append(f"\nEvidence: {item.evidence}", style="italic")
    for caution in item.cautions:
        text.append(
            f"\n! {caution.severity.replace('_', ' ')} ", style=SEVERITY_STYLE[caution.severity]
        )
        text.append(f"({caution.because or caution.condition.replace('_', ' ')}): {caution.text}")
    if item.unchecked:
        shown = ", ".join(c.replace("_", " ") for c in item.unchecked)
        text.append(f"\nNot recorded, check before use: {shown}", style="yellow")
    return text


def _plan(console: Console, assessment: Assessment) -> None:
    plan = assessment.plan
    groups = (
        ("Cause-directed", plan.cause_directed),
        ("Pain", plan.pain),
        ("Rehabilitation", plan.rehabilitation),
        ("Supportive care", plan.supportive),
        ("Referrals and surgery", plan.referrals),
    )
    table = Table(title="Treatment plan", title_justify="left", show_lines=True)
    table.add_column("group", style="bold")
    table.add_column("item")
    for title, items in groups:
        for item in items:
            table.add_row(title, _item_text(item))
    for visit in plan.follow_up:
        table.add_row(
            "Follow-up",
            Text(f"{visit.when}: {visit.what}\n", style="bold").append(visit.why, style="dim"),
        )
    console.print(table)
    for side, score in sorted(assessment.outcome.items()):
        console.print(
            f"MRC sum score, {side}: [bold]{score.score}/{score.maximum}[/] over "
            f"{len(score.tested)} muscles or movements (compare over the same set at follow-up)",
            highlight=False,
        )


def print_assessment(console: Console, assessment: Assessment) -> None:
    """The whole report, most urgent first."""
    console.rule(_header(assessment))
    _red_flags(console, assessment)
    _localization(console, assessment)
    _etiology(console, assessment)
    _next_tests(console, assessment)
    _workup(console, assessment)
    _plan(console, assessment)
    if assessment.uncertainty:
        console.print(
            Panel(
                "\n".join(f"• {note}" for note in assessment.uncertainty), title="How sure is this?"
            )
        )
    console.print(
        "[dim]Decision support for clinicians: every conclusion shows the findings behind it; "
        "check them against the patient.[/]"
    )


def print_triage(console: Console, advice: TriageAdvice) -> None:
    """The self-check advice in plain words, with no diagnosis."""
    style = URGENCY_STYLE[advice.urgency]
    whom = ", ".join(WHOM[w] for w in advice.see)
    headline = URGENCY_HEADLINES[advice.urgency]
    if advice.warnings_open:
        headline = WARNINGS_OPEN_HEADLINE
    body = Text(f"{headline}.", style=style)
    body.append(f"\nWho to see: {whom}.\n", style="bold")
    for reason in advice.reasons:
        body.append(f"\n• {reason.reason}")
    if advice.warnings_open:
        body.append("\nAnswer these warning-sign questions; if any is yes, go to an emergency ")
        body.append("department now:", style="bold")
        for question in advice.unanswered_warnings:
            body.append(f"\n  ? {question.replace('_', ' ')}")
    if advice.could_change:
        body.append("\nThese blank answers could make it more urgent: ")
        body.append(", ".join(q.replace("_", " ") for q in advice.could_change))
    for reason in advice.further_advice:
        body.append(f"\n• {reason.reason}", style="dim")
    console.print(Panel(body, title=f"Self-check: {advice.urgency}"))
    if advice.notice:
        console.print(f"[dim]{advice.notice}[/]")
