"""The SLA's period terms (issue 13 §1): what each side promises per month, as data —
pure, no Django. Each term has a side, a kind of target and product.md's default.

Kinds: ``count`` (a whole number per month, e.g. MQL volume), ``percent`` (a share,
0–100), ``hours`` (a duration, e.g. delivery from source to app). Errors are codes;
``sla.wording`` says them in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

COUNT, PERCENT, HOURS = "count", "percent", "hours"


@dataclass(frozen=True)
class PeriodTerm:
    key: str
    side: str  # marketing (→ sales) or sales (→ marketing)
    kind: str
    default: Decimal


PERIOD_TERMS: dict[str, PeriodTerm] = {
    term.key: term
    for term in (
        # marketing → sales (product.md, the China example's numbers)
        PeriodTerm("mql_volume", "marketing", COUNT, Decimal(300)),
        PeriodTerm("icp_share", "marketing", PERCENT, Decimal(85)),
        PeriodTerm("completeness", "marketing", PERCENT, Decimal(90)),
        PeriodTerm("delivery_hours", "marketing", HOURS, Decimal(2)),
        PeriodTerm("campaign_tagged", "marketing", PERCENT, Decimal(100)),
        PeriodTerm("returns_fixed_in_time", "marketing", PERCENT, Decimal(90)),
        # sales → marketing
        PeriodTerm("accepted_in_time", "sales", PERCENT, Decimal(90)),
        PeriodTerm("first_touch_in_time", "sales", PERCENT, Decimal(90)),
        # the share of leads given up on with at least the minimum attempts (the
        # terms version's ``period.min_attempts``, the gate the queue enforces)
        PeriodTerm("attempts_before_giving_up", "sales", PERCENT, Decimal(100)),
        PeriodTerm("status_updates_kept", "sales", PERCENT, Decimal(90)),
        PeriodTerm("sql_handoff_in_time", "sales", PERCENT, Decimal(90)),
        PeriodTerm("feedback_delivered", "sales", PERCENT, Decimal(90)),
    )
}
MAX_COUNT = Decimal(10**9)
MAX_HOURS = Decimal(24 * 366)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: Any) -> dt.date | None:
    """``"2026-11"`` → 2026-11-01; None for anything else (``2026-13``, ``26-11``…)."""
    if not isinstance(text, str):
        return None
    found = _MONTH.match(text.strip())
    if not found:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    if not (1970 <= year <= 9998 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def value_problem(term: str, value: Any) -> str | None:
    """Why ``value`` cannot be ``term``'s target (a code), or None."""
    if term not in PERIOD_TERMS:
        return "unknown_term"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "not_a_number"
    if not number.is_finite():
        return "not_a_number"
    if number < 0:
        return "negative"
    kind = PERIOD_TERMS[term].kind
    if kind == PERCENT and number > 100:
        return "over_100"
    if kind == COUNT and (number != number.to_integral_value() or number > MAX_COUNT):
        return "not_a_whole_number" if number <= MAX_COUNT else "too_large"
    if kind == HOURS and number > MAX_HOURS:
        return "too_large"
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        return "too_precise"
    return None
