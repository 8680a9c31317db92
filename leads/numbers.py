"""Numbers as people read them in the timeline and the scoring pages (pure: no Django)."""

from __future__ import annotations

import math
from typing import Any


def format_number(value: Any) -> str:
    """``45``, ``61.2``, ``5,000,000``: at most two decimals, no trailing zeros."""
    if isinstance(value, bool) or value is None:
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return str(value)
    number = round(number, 2)
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")
