"""`plexcare kb`: check the knowledge base and look things up in it from a terminal."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, load_knowledge_base
from plexcare.knowledge.model import KnowledgeBase

app = typer.Typer(help="Check and browse the cited knowledge base.", no_args_is_help=True)
console = Console()

Kind = Literal["muscle", "nerve", "root", "study", "disorder", "reflex", "area", "treatment"]


def _load(data: Path) -> KnowledgeBase:
    try:
        return load_knowledge_base(data)
    except KnowledgeBaseError as error:
        console.print(f"[bold red]knowledge base error[/]: {error}", highlight=False)
        raise typer.Exit(2) from None


@app.command()
def check(
    data: Path = typer.Option(DATA_DIR, "--data", help="Folder of knowledge-base YAML files."),
) -> None:
    """Validate every file and cross-reference, then print what the base holds."""
    kb = _load(data)
    table = Table(title=f"plexcare knowledge base {kb.version}", show_header=True)
    table.add_column("kind")
    table.add_column("count", justify="right")
    counts = {
        "structures (graph nodes)": len(kb.structures),
        "muscles": len(kb.muscles),
        "sensory areas": len(kb.sensory_areas),
        "reflexes": len(kb.reflexes),
        "nerve-conduction studies": len(kb.studies),
        "disorders": len(kb.disorders),
        "etiology features": len(kb.etiology_features),
        "tests": len(kb.tests),
        "treatments": len(kb.treatments),
        "education sections": len(kb.education.sections),
        "FAQ entries": len(kb.education.faq),
        "references": len(kb.references),
    }
    for kind, count in counts.items():
        table.add_row(kind, str(count))
    console.print(table)
    console.print("[green]ok[/]: every entry validated and every reference resolves")


def _lookup(kb: KnowledgeBase, kind: Kind, entry: str) -> BaseModel:
    tables: dict[str, dict[str, BaseModel]] = {
        "muscle": dict(kb.muscles),
        "nerve": {k: v for k, v in kb.structures.items() if not k.startswith("root_")},
        "root": {k: v for k, v in kb.structures.items() if k.startswith("root_")},
        "study": dict(kb.studies),
        "disorder": dict(kb.disorders),
        "reflex": dict(kb.reflexes),
        "area": dict(kb.sensory_areas),
        "treatment": dict(kb.treatments),
    }
    records = tables[kind]
    key = entry if kind != "root" or entry.startswith("root_") else f"root_{entry.lower()}"
    if key not in records:
        close = difflib.get_close_matches(key, records, n=5, cutoff=0.5)
        hint = f"; did you mean: {', '.join(close)}" if close else ""
        console.print(f"[bold red]no {kind} named '{entry}'[/]{hint}", highlight=False)
        raise typer.Exit(2)
    return records[key]


def _cite(kb: KnowledgeBase, sources: tuple[str, ...]) -> str:
    return "; ".join(kb.references[s].citation for s in sources)


@app.command()
def show(
    kind: Kind = typer.Argument(..., help="What to show."),
    entry: str = typer.Argument(..., help="Its id, e.g. tibialis_posterior or L5."),
    data: Path = typer.Option(DATA_DIR, "--data", help="Folder of knowledge-base YAML files."),
) -> None:
    """Show one entry with every field and its sources written out."""
    kb = _load(data)
    record = _lookup(kb, kind, entry)
    table = Table(title=f"{kind}: {getattr(record, 'name', entry)}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for field, value in record.model_dump(mode="json").items():
        if field == "sources":
            continue
        table.add_row(field, _render(value))
    if kind == "root":
        downstream = _reached_from_root(kb, record.model_dump()["id"])
        table.add_row("muscles it supplies", ", ".join(downstream) or "-")
    table.add_row("sources", _cite(kb, tuple(getattr(record, "sources", ()))))
    console.print(table)


def _render(value: object) -> str:
    if isinstance(value, list):
        return "\n".join(_render(item) for item in value) or "-"
    if isinstance(value, dict):
        shown = {k: v for k, v in value.items() if k != "sources" and v not in ("", None, [])}
        return ", ".join(f"{k}={_render(v)}" for k, v in shown.items())
    return "-" if value in ("", None) else str(value)


def _reached_from_root(kb: KnowledgeBase, root_id: str) -> list[str]:
    root_name = kb.structures[root_id].root
    return sorted(m.id for m in kb.muscles.values() if any(c.root == root_name for c in m.roots))
