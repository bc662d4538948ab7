"""The few SQLite spellings the repositories keep, in PostgreSQL's words.

Repositories write portable SQL (storage.db); what remains SQLite's is only this list, and
each item has one PostgreSQL form:

- parameters `?`, `?N` and `:name` become `$N`;
- `json_array(…)` is `json_build_array(…)` and `json_group_array(…)` is `json_agg(…)`
  (both read back as JSON text);
- a unary `+` before a column, after WHERE, AND, OR or `(` (SQLite's way to keep an index
  out of a plan), goes: the PostgreSQL planner is not steered that way;
- `json_each(?)` is the function of that name the PostgreSQL schema defines (its `value`
  column is text, as the repositories compare it).

Quoted text ('…' and "…") is never rewritten.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

_TOKENS = re.compile(
    r"""(?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<cast>::)
      | \?(?P<number>\d+)
      | (?P<anonymous>\?)
      | :(?P<name>[A-Za-z_]\w*)
      | (?P<function>\b(?:json_array|json_group_array)\b)(?=\s*\()
      | (?:(?<=WHERE\s)|(?<=AND\s)|(?<=OR\s)|(?<=\())\+(?=[A-Za-z_])""",
    re.VERBOSE,
)
FUNCTIONS = {"json_array": "json_build_array", "json_group_array": "json_agg"}


_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES)\b|\bRETURNING\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Translated:
    sql: str
    names: tuple[str, ...]  # of `:name` parameters, in their $N order; () when positional
    returns_rows: bool  # a query, or a change with RETURNING: fetched, not executed


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> Translated:
    names: list[str] = []
    counter = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal counter
        kind = match.lastgroup
        if kind in ("quoted", "cast"):
            return match.group(0)
        if kind == "number":
            return "$" + match.group("number")
        if kind == "anonymous":
            counter += 1
            return f"${counter}"
        if kind == "name":
            name = match.group("name")
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        if kind == "function":
            return FUNCTIONS[match.group("function")]
        return ""  # the unary plus

    translated = _TOKENS.sub(replace, sql)
    return Translated(translated, tuple(names), bool(_RETURNS_ROWS.search(translated)))


def arguments(translated: Translated, params: object) -> tuple[object, ...]:
    """The values in $N order, from a sequence or (for `:name`) a mapping."""
    if isinstance(params, dict):
        return tuple(params[name] for name in translated.names)
    assert isinstance(params, Sequence)
    return tuple(params)
