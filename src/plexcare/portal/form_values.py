"""Reading what people type into the portal's forms: numbers, dates, instants and the case
form's YAML box. One place, so every page refuses the same odd input the same way.

Each reader returns the value or None (the page words its own message). They accept only
what a person would type on a keyboard: ASCII digits in a bounded length (Python's `int` and
`float` also take `²`-like or Arabic-Indic digits, and refuse more than 4,300 digits with a
ValueError, not a message), and dates in the calendar a clinic works in. Nothing here raises on
any string.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

import yaml

from plexcare.web.problems import LARGEST_ID

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)
"""The calendar a form may speak of: a birth, an onset, a visit or a booking."""
YAML_MAX_CHARS = 100_000
"""The advanced box holds one case; a real one is a few thousand characters."""
YAML_MAX_DEPTH = 20
"""Deeper than any Case field (side, then muscle, then result) with room to spare."""

_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,15}(?:[.,][0-9]{0,15})?|[.,][0-9]{1,15})")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})"
)


def whole_number(raw: str, *, minimum: int = 0, maximum: int = LARGEST_ID) -> int | None:
    """`raw` as an integer from `minimum` to `maximum` (ASCII digits, optional sign)."""
    text = raw.strip()
    if not _WHOLE.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def record_id(raw: str) -> int | None:
    """A record's id from a form or query: a positive whole number a column can hold."""
    return whole_number(raw, minimum=1)


def decimal_number(
    raw: str, *, minimum: float | None = None, maximum: float | None = None
) -> float | None:
    """`raw` as a finite number (ASCII digits, `.` or `,` as the decimal mark), in range."""
    text = raw.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    number = float(text.replace(",", "."))
    if not math.isfinite(number):
        return None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def calendar_day(
    raw: str, *, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY
) -> date | None:
    """`raw` as a date written `YYYY-MM-DD`, from `earliest` to `latest`."""
    text = raw.strip()
    if not _DAY.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if earliest <= day <= latest else None


def instant(raw: str) -> datetime | None:
    """`raw` as an ISO 8601 instant with its offset (`Z` or `+01:00`), in the clinic's calendar.

    A time without an offset is refused: the services never guess a zone."""
    text = raw.strip()
    if not _INSTANT.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not EARLIEST_DAY <= moment.date() <= LATEST_DAY:
        return None
    return moment.astimezone(UTC)


class _PlainLoader(yaml.SafeLoader):
    """YAML limited to what JSON can say: mappings, lists, strings, numbers, booleans, null.

    No timestamp resolver, so `2026-01-01` stays the string the Case model reads as a date
    (safe_load would build a `date`, or a `datetime` the model refuses in words nobody
    typed); explicit tags (`!!binary`, `!!set`, `!!timestamp`) are refused by name, and
    aliases too, so a few lines cannot expand into millions of nodes."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):  # type: ignore[no-untyped-call]
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (*name) are not accepted", event.start_mark
            )
        return super().compose_node(parent, index)


_PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PlainLoader.yaml_constructors = {
    tag: constructor
    for tag, constructor in yaml.SafeLoader.yaml_constructors.items()
    if tag
    in {
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:seq",
        "tag:yaml.org,2002:map",
        None,
    }
}


class UnreadableYaml(ValueError):
    """The advanced box could not be read; `message` says why, in the form's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _depth(value: object, limit: int) -> int:
    if limit < 0:
        return 0
    if isinstance(value, dict):
        return 1 + max((_depth(item, limit - 1) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(item, limit - 1) for item in value), default=0)
    return 0


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _where(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark
    return f" (line {mark.line + 1})" if mark is not None else ""


def _why(error: yaml.MarkedYAMLError) -> str:
    problem = error.problem or ""
    if "alias" in problem:
        return ": anchors and aliases (*name) are not accepted"
    if "constructor for the tag" in problem:
        return ": only plain values, lists and mappings are accepted (no !!tags)"
    return ""


def plain_yaml(text: str) -> object:
    """The data a YAML or JSON text spells, as JSON could (dates stay strings).

    Raises UnreadableYaml with a message that names the line where it can."""
    if len(text) > YAML_MAX_CHARS:
        raise UnreadableYaml(f"This is longer than {YAML_MAX_CHARS:,} characters.")
    try:
        loaded = yaml.load(text, Loader=_PlainLoader)
    except yaml.MarkedYAMLError as error:
        raise UnreadableYaml(
            f"This is not valid YAML or JSON{_where(error)}{_why(error)}."
        ) from error
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        # PyYAML meets Python's 4,300-digit limit of int() as a ValueError, and a deep
        # nesting of brackets as a RecursionError.
        raise UnreadableYaml(
            "This is not valid YAML or JSON: a value is too long or too deep."
        ) from error
    if _depth(loaded, YAML_MAX_DEPTH + 1) > YAML_MAX_DEPTH:
        raise UnreadableYaml(f"This nests deeper than {YAML_MAX_DEPTH} levels.")
    if _has_nul(loaded):
        raise UnreadableYaml("This contains a NUL character (\\0).")
    return loaded
