"""What PostgreSQL can store and read back, checked before a write (pure: no Django).

PostgreSQL text and jsonb refuse the NUL character, and UTF-8 has no encoding for a
lone surrogate (``"\\ud800"``, which a JSON body may carry as an escape); either
made the whole request answer 500. JSON objects stored as they came (an activity's
properties) are bounded in depth and size, so one value cannot fill the table or
the stack of whoever reads it.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_JSON_DEPTH = 20
MAX_JSON_BYTES = 64 * 1024


def text_problem(value: str) -> str | None:
    """``None`` when ``value`` can be stored; else ``"nul"`` or ``"surrogate"``."""
    if "\x00" in value:
        return "nul"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate"
    return None


def json_problem(
    value: Any, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES
) -> str | None:
    """``None`` when the JSON ``value`` can be stored; else ``"nul"``, ``"surrogate"``
    (in a key or a string), ``"too_deep"`` or ``"too_large"``. Walks without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return "too_deep"
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and (problem := text_problem(key)):
                    return problem
                stack.append((child, depth + 1))
        elif isinstance(item, str) and (problem := text_problem(item)):
            return problem
    if len(json.dumps(value, ensure_ascii=False).encode("utf-8")) > max_bytes:
        return "too_large"
    return None


def json_problem_at(
    value: Any, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES
) -> tuple[str, str] | None:
    """Like ``json_problem``, with where: ``(problem, path)``, the path written
    ``fit_rules[0].group`` (keys escaped by ``shown_key``; ``""`` for the value itself),
    so an error can name the field. Walks without recursion, depth first in order."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return "too_deep", path
            if isinstance(item, dict):
                children = []
                for key, child in item.items():
                    name = shown_key(key)
                    where = f"{path}.{name}" if path else name
                    if isinstance(key, str) and (problem := text_problem(key)):
                        return problem, where
                    children.append((child, depth + 1, where))
            else:
                children = [(child, depth + 1, f"{path}[{i}]") for i, child in enumerate(item)]
            stack.extend(reversed(children))
        elif isinstance(item, str) and (problem := text_problem(item)):
            return problem, path
        elif isinstance(item, float) and not math.isfinite(item):
            return "not_finite", path
    if len(json.dumps(value, ensure_ascii=False).encode("utf-8")) > max_bytes:
        return "too_large", ""
    return None


# The largest id a text may name: a PostgreSQL bigint's range (18 digits always fit).
MAX_ID_DIGITS = 18


def plain_id(text: Any) -> int | None:
    """``text`` as a row id when it is 1 to 18 ASCII digits, else ``None``: ``"²"`` and
    ``"١٢"`` pass ``str.isdigit`` but not ``int``, and 5,000 digits pass neither
    ``int`` (Python's limit) nor a bigint column."""
    if isinstance(text, str) and 0 < len(text) <= MAX_ID_DIGITS and text.isascii():
        return int(text) if text.isdigit() else None
    return None


def shown_key(key: Any) -> str:
    """A key as an error message may name it: what cannot be stored is escaped."""
    text = str(key).replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:100]
