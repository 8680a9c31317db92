"""Stored values in the reader's words: industries, regions, countries, languages and
the system actors of the event log.

A lead's account stores ``industry = "Automotive"``, ``region = "East China"``,
``country = "CN"``; the lead stores ``language = "zh-hans"``; an event written by a
system stores ``actor_system = "routing"``. These are data (imports, the API and the
demo write them, filters and the predictive score count them), so they stay as
stored; what a person reads goes through the functions here (and the ``words``
template library, ``leads/word_tags.py``):

- ``industry_label`` / ``region_label``: the industries and regions the product and
  the demo use, translated; any other value is shown as stored (a company's own
  industry list is not ours to translate).
- ``country_label``: an ISO 3166 code as the country's name in the active language
  (from the ``phonenumbers`` package's names, which cover every code in English and
  Chinese); an unknown code as stored.
- ``language_label``: a language code as Django names it ("Simplified Chinese" /
  "简体中文"); an unknown code as stored.
- ``actor_label``: a system actor ("routing", "opt-out", "scoring model v3",
  "import", …) in words; an unknown system (an integration's own name) as stored.

Matching is exact after trimming (and case-insensitive for codes).
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import get_language, get_language_info, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

INDUSTRIES = {
    "Software": gettext_lazy("Software"),
    "Manufacturing": gettext_lazy("Manufacturing"),
    "Healthcare": gettext_lazy("Healthcare"),
    "Logistics": gettext_lazy("Logistics"),
    "Energy": gettext_lazy("Energy"),
    "Automotive": gettext_lazy("Automotive"),
    "Electronics": gettext_lazy("Electronics"),
    "Education": gettext_lazy("Education"),
    "Financial services": gettext_lazy("Financial services"),
    "Retail": gettext_lazy("Retail"),
    "Chemicals": gettext_lazy("Chemicals"),
    "Professional services": gettext_lazy("Professional services"),
}

REGIONS = {
    "North America": gettext_lazy("North America"),
    "Europe": gettext_lazy("Europe"),
    "APAC": pgettext_lazy("region", "APAC"),
    "North China": gettext_lazy("North China"),
    "East China": gettext_lazy("East China"),
    "South China": gettext_lazy("South China"),
    "Central China": gettext_lazy("Central China"),
    "Southwest China": gettext_lazy("Southwest China"),
    "Northwest China": gettext_lazy("Northwest China"),
    "Northeast China": gettext_lazy("Northeast China"),
}

_SCORING_ACTOR = re.compile(r"^scoring model v(\d+)$")
_ACTORS = {
    "routing": gettext_lazy("routing"),
    "router v1": gettext_lazy("routing"),  # the demo's name for routing before issue 11
    "opt-out": gettext_lazy("the opt-out rule"),  # leads.consent.OPT_OUT_ACTOR
    "import": gettext_lazy("the spreadsheet import"),
    "demo intake": gettext_lazy("intake"),
    "demo": gettext_lazy("demo data"),  # the demo's activities (their source)
    "intake": gettext_lazy("intake"),
}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def industry_label(value: Any) -> str:
    text = _text(value)
    label = INDUSTRIES.get(text)
    return str(label) if label is not None else text


def region_label(value: Any) -> str:
    text = _text(value)
    label = REGIONS.get(text)
    return str(label) if label is not None else text


def country_label(value: Any) -> str:
    """``"CN"`` → "China" / "中国"; an unknown code as stored."""
    text = _text(value)
    code = text.upper()
    if len(code) != 2 or not code.isalpha():
        return text
    from phonenumbers.geocoder import _region_display_name

    if (get_language() or "en").lower().startswith("zh"):
        name = _region_display_name(code, "zh", "Hans", None)
    else:
        name = _region_display_name(code, "en", None, None)
    return name or text


def language_label(value: Any) -> str:
    """``"zh-hans"`` → "Simplified Chinese" / "简体中文"; an unknown code as stored."""
    text = _text(value)
    if not text:
        return text
    try:
        info = get_language_info(text.lower())
    except KeyError:
        return text
    return str(info["name_translated"])


def actor_label(value: Any) -> str:
    """A system actor in words ("routing", "scoring model v3"); unknown as stored."""
    text = _text(value)
    label = _ACTORS.get(text)
    if label is not None:
        return str(label)
    match = _SCORING_ACTOR.match(text)
    if match:
        return _("scoring model v%(number)s") % {"number": match.group(1)}
    return text


LABELS = {
    "industry": industry_label,
    "region": region_label,
    "country": country_label,
    "language": language_label,
    "actor": actor_label,
}


def label(kind: str, value: Any) -> str:
    """``label("industry", "Automotive")``: the value of ``kind`` in words."""
    try:
        return LABELS[kind](value)
    except KeyError:
        raise ValueError(f"unknown kind of value {kind!r} (known: {', '.join(LABELS)})") from None
