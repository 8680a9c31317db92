"""Django's side of the charts: ``leads.charts.svg`` lays out (pure, no Django); this module
gives it numbers formatted the reader's way and its words in the reader's language.

- :func:`number` ``(decimals=None, *, suffix="")`` — a formatter for ``format_value`` /
  ``format_tick``: Django's localised number (thousand separators on), at most two
  decimals without trailing zeros unless ``decimals`` is given.
- :func:`percent` ``(decimals=None)`` — the same followed by " %" (values in percent).
- :func:`words` ``()`` — the keyword arguments every chart takes in words: ``no_data``
  and ``status_names`` (met, at risk, missed, no data), translated now.

    chart = svg.line_chart(months, series, key="icp", title=_("ICP share"),
                           format_value=l10n.percent(), **l10n.words())

The chart is a ``leads.charts.svg.Chart``: a template outputs it as is (``{{ chart }}``), its
texts escaped when it was drawn.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from leads.charts import svg


def number(decimals: int | None = None, *, suffix: str = "") -> Callable[[float], str]:
    def format_value(value: float) -> str:
        value = float(value)
        if decimals is not None:
            # Rounded first: number_format cuts the decimals it does not show.
            shown = number_format(round(value, decimals), decimal_pos=decimals, use_l10n=True)
        elif round(value, 2).is_integer():
            shown = number_format(int(round(value)), use_l10n=True)
        else:
            shown = number_format(round(value, 2), use_l10n=True)
        return shown + suffix

    return format_value


def percent(decimals: int | None = None) -> Callable[[float], str]:
    return number(decimals, suffix=" %")


def words() -> dict:
    return {
        "no_data": _("No data"),
        "status_names": {
            svg.MET: _("Met"),
            svg.AT_RISK: _("At risk"),
            svg.MISSED: _("Missed"),
            svg.NO_DATA: _("No data"),
        },
    }
