"""Reads of the leads app. Who may see which lead is decided here and only here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from leads import jobs
from leads.models import Job, Lead, LeadEvent, Stage, Touch
from leads.people import roles
from leads.people.models import Team
from leads.timeline import timeline_words


def leads_visible_to(*, viewer: AbstractBaseUser) -> QuerySet[Lead]:
    """Every lead the viewer may see; outside it a lead does not exist for them (404).

    Marketing, directors, admins and integrations read everything; an SDR their own
    leads and their SDR teams' pools (unassigned MQLs of those teams); an AE their own
    leads and their AE teams' pools (unassigned SQLs waiting to be accepted into the
    pipeline: any member may take one, ``leads.queue.work.may_act_as_ae``); a sales manager
    the leads of the teams they manage (the lead's team is theirs, or its owner is a
    member) and their own.

    SDRs and AEs also keep reading the leads they worked (``leads_worked_by``): after
    converting, returning or rejecting a lead it is no longer theirs to work, but their
    touches are on it. Reading only: the services refuse them any action (403), as
    they refuse every lead a person does not hold.
    """
    user_roles = roles.user_roles(viewer)
    if user_roles.intersection(roles.READ_ALL_ROLES):
        return Lead.objects.all()
    condition = Q(pk__in=[])
    if user_roles.intersection((roles.SDR, roles.AE)):
        condition |= Q(owner=viewer) | _worked(viewer)
    if roles.SDR in user_roles:
        pools = Team.objects.filter(members=viewer, kind=Team.Kind.SDR).values("pk")
        condition |= Q(team__in=pools, owner__isnull=True, stage=Stage.MQL)
    if roles.AE in user_roles:
        ae_pools = Team.objects.filter(members=viewer, kind=Team.Kind.AE).values("pk")
        condition |= Q(team__in=ae_pools, owner__isnull=True, stage=Stage.SQL)
    if roles.SALES_MANAGER in user_roles:
        managed = Team.objects.filter(manager=viewer)
        team_members = managed.values("members")
        condition |= Q(owner__in=team_members) | Q(owner=viewer) | Q(team__in=managed.values("pk"))
    return Lead.objects.filter(condition) if user_roles else Lead.objects.none()


def _worked(user: AbstractBaseUser) -> Q:
    return Q(pk__in=LeadEvent.objects.filter(actor_user=user).values("lead_id")) | Q(
        pk__in=Touch.objects.filter(user=user).values("lead_id")
    )


def leads_worked_by(*, user: AbstractBaseUser) -> QuerySet[Lead]:
    """The leads ``user`` worked: they are the actor of an event on it (an assignment
    they claimed, an accept, a touch, a qualification, a conversion, a return, an
    AE's accept or reject) or logged a touch on it — whoever holds the lead now."""
    return Lead.objects.filter(_worked(user))


def lead_timeline(*, lead: Lead, newest_first: bool = False) -> list[dict]:
    """Activities and events of one lead, oldest first (newest first for the lead
    page, where the last touch belongs at the top), as one list of entries
    ``{"kind": "activity" | "event", "at", "object", "words"}``.

    Touches and qualification changes are events (``touch``, ``qualification``),
    as are stage changes, assignments, score changes, returns and disputes.
    ``words`` is the entry in the active language (``leads.timeline``). Queries:
    activities, events with their actors, then at most one per model the events
    name (people, teams, accounts, opportunities, returns) — never one per entry."""
    entries: list[dict] = []
    for activity in lead.activities.order_by("occurred_at", "id"):
        entries.append({"kind": "activity", "at": activity.occurred_at, "object": activity})
    for event in lead.events.select_related("actor_user"):
        entries.append({"kind": "event", "at": event.at, "object": event})
    entries.sort(key=lambda entry: (entry["at"], entry["kind"]))
    for entry, words in zip(entries, timeline_words(entries), strict=True):
        entry["words"] = words  # worded in the order things happened
    if newest_first:
        entries.reverse()
    return entries


def jobs_visible_to(*, viewer: AbstractBaseUser) -> QuerySet[Job]:
    """The jobs ``viewer`` may follow; decided by ``leads.jobs.visible_to``."""
    return jobs.visible_to(viewer=viewer)
