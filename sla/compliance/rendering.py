"""What a scorecard's ids are called when it is shown (issue 13): a snapshot holds
team and person ids, never names, so names are looked up when a report is read, in the
reader's language — an erased person's id still has a label."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from leads.models import SourceChannel
from leads.people.models import Team
from leads.people.names import person_name


def labels(data: dict[str, Any]) -> Callable[[str, str], str]:
    """``(dimension, key) -> label`` for every group of ``data`` (two queries)."""
    keys: dict[str, set[int]] = {"team": set(), "person": set()}
    for row in data.get("rows", []):
        if row["dimension"] in keys and str(row["key"]).isdigit():
            keys[row["dimension"]].add(int(row["key"]))
    teams = dict(Team.objects.filter(pk__in=keys["team"]).values_list("pk", "name"))
    people = {
        user.pk: person_name(user)
        for user in get_user_model().objects.filter(pk__in=keys["person"])
    }
    channels = dict(SourceChannel.choices)

    def label(dimension: str, key: str) -> str:
        key = "" if key is None else str(key)
        if dimension == "team":
            name = teams.get(int(key)) if key.isdigit() else None
            return name or _("Team #%(id)s (removed)") % {"id": key}
        if dimension == "person":
            name = people.get(int(key)) if key.isdigit() else None
            return name or _("Person #%(id)s (removed)") % {"id": key}
        if dimension == "source":
            return str(channels.get(key, key or _("(no channel)")))
        if dimension == "campaign":
            return key or _("(no campaign)")
        if dimension == "source_system":
            return key or _("(no source system)")
        return key

    return label


def attachments(report) -> tuple[bytes, bytes]:
    """The report as PDF and as the ZIP of its CSV tables, in the active language."""
    from sla.compliance import exports

    label = labels(report.data)
    return exports.pdf(report.data, label), exports.csv_zip(report.data, label)
