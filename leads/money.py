"""Amounts of money as people read them, in the active language.

``format_money(Decimal("300000"), "CNY")``: "CNY 300,000.00" in English,
"¥300,000.00" in Chinese. English writes the ISO code before the amount (the
unambiguous form CRMs use when several currencies meet); Chinese writes the
currency's sign where Chinese readers know it (¥ for the yuan, US$, HK$, €, £, …)
and the code otherwise. Always two decimals (none for currencies without minor
units: JPY, KRW), grouped by thousands whatever ``USE_THOUSAND_SEPARATOR`` says.
A value that is no number is shown as stored; no currency: the number alone.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import get_language

NO_MINOR_UNITS = frozenset({"JPY", "KRW", "VND", "CLP", "ISK"})
CHINESE_SIGNS = {
    "CNY": "¥",
    "RMB": "¥",
    "USD": "US$",
    "HKD": "HK$",
    "TWD": "NT$",
    "SGD": "S$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "JP¥",
}


def _decimal(amount: Any) -> Decimal | None:
    if amount is None or isinstance(amount, bool):
        return None
    try:
        number = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def format_amount(amount: Any, currency: str = "") -> str:
    """The number alone: ``300,000.00`` (``JPY``: ``300,000``)."""
    number = _decimal(amount)
    if number is None:
        return "" if amount is None else str(amount)
    places = 0 if (currency or "").upper() in NO_MINOR_UNITS else 2
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


def format_money(amount: Any, currency: str | None = "") -> str:
    """``CNY 300,000.00`` / ``¥300,000.00`` (see the module docs)."""
    code = (currency or "").strip().upper()
    shown = format_amount(amount, code)
    if _decimal(amount) is None or not code:
        return shown
    sign, number = ("-", shown[1:]) if shown.startswith("-") else ("", shown)
    if (get_language() or "").lower().startswith("zh") and code in CHINESE_SIGNS:
        return f"{sign}{CHINESE_SIGNS[code]}{number}"
    return f"{sign}{code}\u00a0{number}"
