"""The one error the knowledge base raises, located to file, entry and field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnowledgeBaseError(Exception):
    """One problem in the data, located precisely enough to fix without reading code."""

    file: str
    entry: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: entry '{self.entry}', field '{self.field}': {self.problem}"
