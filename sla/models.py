"""The SLA's data (issue 12): business calendars, versioned terms and policies, the
per-lead clocks computed from the lead's event log, and what the sweep sends
(notifications in the app, webhook deliveries).

``sla`` reads ``leads`` and fills the seams ``leads`` leaves for it; ``leads`` never
imports this app. The maths lives in pure modules: ``sla.business_time`` (calendars),
``sla.terms`` (the terms' definition), ``sla.engine`` (events → clocks).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from leads.models import Lead
from leads.people.models import Team, TimeStamped


class BusinessCalendar(TimeStamped):
    """When work happens: a time zone, working intervals per weekday, the public
    holidays of some countries (``holidays`` package) and custom dates
    (:class:`CalendarDate`). ``revision`` goes up with every change; a clock records
    the revision it was computed with."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64)
    countries = models.JSONField(
        _("public holidays of"), default=list, blank=True, help_text=_("ISO 3166 codes")
    )
    # {"0": [["09:00", "12:00"], ["13:30", "18:00"]], ..., "6": []}; 0 is Monday.
    hours = models.JSONField(_("working hours"), default=dict)
    makeup_weekday = models.PositiveSmallIntegerField(
        _("an open date works the hours of"), default=0
    )
    is_default = models.BooleanField(_("default calendar"), default=False)
    revision = models.PositiveIntegerField(_("revision"), default=1)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="sla_one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CalendarDate(models.Model):
    """A custom date of a calendar: closed (a company holiday) or open (a make-up
    working day the ``holidays`` package does not know yet), winning over the package."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("Closed")
        OPEN = "open", pgettext_lazy("calendar date", "Open")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="dates")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    works_as = models.PositiveSmallIntegerField(
        _("works the hours of"), null=True, blank=True, help_text=_("weekday, 0 = Monday")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar date")
        verbose_name_plural = _("calendar dates")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_calendar_date_once")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class TeamSla(models.Model):
    """What the SLA knows of a team: its calendar, the director its breaches escalate
    to last (none: every director), and an optional webhook."""

    class Style(models.TextChoices):
        SLACK = "slack", _("Slack")
        WECOM = "wecom", _("WeCom")

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="sla")
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    escalation_director = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalation director"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    webhook_url = models.URLField(_("webhook address"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=200, blank=True)
    webhook_style = models.CharField(
        _("webhook format"), max_length=8, choices=Style.choices, default=Style.SLACK
    )

    class Meta:
        verbose_name = _("team SLA settings")
        verbose_name_plural = _("teams' SLA settings")

    def __str__(self) -> str:
        return str(self.team)


class PersonLanguage(models.Model):
    """The language a person last chose in the app (the language switcher): their
    notification emails are written in it (``sla.notify``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="sla_language",
    )  # fmt: skip
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("person's language")
        verbose_name_plural = _("people's languages")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class PersonCalendar(models.Model):
    """A person's own calendar (another office, another country)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sla_calendar"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("person's calendar")
        verbose_name_plural = _("people's calendars")

    def __str__(self) -> str:
        return f"{self.user} → {self.calendar}"


class TermSet(TimeStamped):
    """A version of the SLA's per-lead terms and their ordered policies (``sla.terms``
    reads and checks ``definition``). Draft → published → retired, like scoring
    models; a published version never changes, one is published at a time."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    number = models.PositiveIntegerField(_("version number"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    definition = models.JSONField(_("definition"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("SLA terms version")
        verbose_name_plural = _("SLA terms versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="published"), name="sla_one_published_terms"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.number} {self.name}".strip()


class Term(models.TextChoices):
    ACCEPTANCE = "acceptance", _("Accept or return")
    FIRST_TOUCH = "first_touch", _("First touch")
    RETURN_WINDOW = "return_window", _("Return window")
    SQL_HANDOFF = "sql_handoff", _("SQL handoff")
    STATUS_UPDATE = "status_update", _("Status update")
    RETURN_FIX = "return_fix", _("Marketing fixes a return")
    DISPUTE_SETTLE = "dispute_settle", _("Dispute settled")


class Clock(models.Model):
    """One per-lead promise, computed from the lead's events by ``sla.engine`` (the
    columns up to ``stop_event_id``) and advanced by the sweep (the ``*_sent_at``
    columns). ``seq`` numbers a term's clocks on a lead (a re-sent lead, the cycles
    of the status update). A breached clock keeps running until its stop event."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        STOPPED = "stopped", _("Stopped")
        CANCELLED = "cancelled", _("Cancelled")

    class Side(models.TextChoices):
        SALES = "sales", _("Sales")
        MARKETING = "marketing", _("Marketing")
        DIRECTOR = "director", _("Director")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="clocks")
    term = models.CharField(_("term"), max_length=20, choices=Term.choices)
    seq = models.PositiveIntegerField(_("number"), default=1)
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    outcome = models.CharField(_("outcome"), max_length=24, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sla_clocks",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sla_clocks",
    )
    started_at = models.DateTimeField(_("started"))
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    manager_at = models.DateTimeField(_("escalates to the manager at"), null=True, blank=True)
    director_at = models.DateTimeField(_("escalates to a director at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    # Working (or plain) time from start to stop, less the pauses: what the report reads.
    elapsed = models.DurationField(_("time taken"), null=True, blank=True)
    target = models.DurationField(_("target"))
    unit = models.CharField(_("counted in"), max_length=16)
    terms = models.ForeignKey(
        TermSet,
        verbose_name=_("terms version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clocks",
    )
    policy = models.CharField(_("policy"), max_length=100, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clocks",
    )
    calendar_revision = models.PositiveIntegerField(default=0)
    start_event_id = models.BigIntegerField(null=True, blank=True)
    stop_event_id = models.BigIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    # The sweep's own: when it sent each step (none twice: see Notification).
    warned_sent_at = models.DateTimeField(null=True, blank=True)
    breach_sent_at = models.DateTimeField(null=True, blank=True)
    manager_sent_at = models.DateTimeField(null=True, blank=True)
    director_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lead", "started_at", "id"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["lead", "term", "seq"], name="sla_clock_once")
        ]
        indexes = [
            # The sweep reads only what is due: these stay as small as the due clocks.
            models.Index(
                fields=["warn_at"],
                name="sla_clock_warn_due",
                condition=Q(state="running", warned_sent_at__isnull=True, warn_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"],
                name="sla_clock_breach_due",
                condition=Q(state="running", breach_sent_at__isnull=True, due_at__isnull=False),
            ),
            models.Index(
                fields=["manager_at"],
                name="sla_clock_manager_due",
                condition=Q(
                    state="running", manager_sent_at__isnull=True, manager_at__isnull=False
                ),
            ),
            models.Index(
                fields=["director_at"],
                name="sla_clock_director_due",
                condition=Q(
                    state="running", director_sent_at__isnull=True, director_at__isnull=False
                ),
            ),
            models.Index(fields=["owner", "state"], name="sla_clock_owner_state"),
            models.Index(fields=["term", "stopped_at"], name="sla_clock_term_stopped"),
            # the monthly scorecard reads a term's clocks by the month they breached in
            models.Index(fields=["term", "breached_at"], name="sla_clock_term_breached"),
        ]

    def __str__(self) -> str:
        return f"{self.get_term_display()} #{self.seq} ({self.get_state_display()})"


class LeadSync(models.Model):
    """How far a lead's clocks follow its events: the number of events and the largest
    event id they were computed from. The catch-up pass recomputes a lead whose
    events say otherwise (a bulk write, a transaction that committed late)."""

    # a named relation (not "+"): the demo's reset deletes a lead's dependents by it
    lead = models.OneToOneField(
        Lead, on_delete=models.CASCADE, primary_key=True, related_name="sla_sync"
    )
    events_seen = models.PositiveIntegerField(default=0)
    last_event_id = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.events_seen} events"


class Notification(models.Model):
    """An in-app notification (the bell), made exactly once per clock, step and
    recipient by the sweep; ``delivery_id`` is the stable id of its email."""

    class Step(models.TextChoices):
        WARNING = "warning", _("Due soon")
        BREACH = "breach", _("Breached")
        MANAGER = "manager", _("Escalated to the manager")
        DIRECTOR = "director", _("Escalated to a director")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sla_notifications"
    )
    # no index of its own: sla_notification_once (clock, step, recipient) leads with it,
    # and each index less makes the sweep's INSERT cheaper (bench.sweep)
    clock = models.ForeignKey(
        Clock, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="sla_notifications")
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "step", "recipient"], name="sla_notification_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient"],
                name="sla_notification_unread",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["created_at"],
                name="sla_notification_unmailed",
                condition=Q(emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} → {self.recipient_id}"


class WebhookDelivery(models.Model):
    """One post of one clock step to a team's webhook: made exactly once, sent at
    least once (retried with backoff), each attempt's status logged."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="webhook_deliveries")
    step = models.CharField(_("step"), max_length=12, choices=Notification.Step.choices)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_status_code = models.PositiveIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    log = models.JSONField(_("attempts log"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["team", "clock", "step"], name="sla_webhook_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="sla_webhook_pending",
                condition=Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} → {self.team_id} ({self.get_status_display()})"


class SyncCursor(models.Model):
    """The catch-up pass's watermark: events recorded after it (less a margin) are
    read again."""

    name = models.CharField(max_length=50, unique=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.recorded_at}"


class MonthlyTarget(models.Model):
    """A period term's target from a month on (issue 13 §1), for everyone or one team.
    Rows are never edited: a change is a new dated row that records the value it
    replaced and who made it (and an audit record); the target in force for a month is
    the latest row dated at or before it."""

    term = models.CharField(_("term"), max_length=32)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="sla_targets",
    )  # fmt: skip
    month = models.DateField(_("from the month"))  # its first day
    value = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    previous = models.DecimalField(
        _("replaced"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        ordering = ["term", "month", "created_at", "id"]
        verbose_name = _("monthly target")
        verbose_name_plural = _("monthly targets")
        indexes = [models.Index(fields=["term", "team", "month"], name="sla_target_lookup")]

    def __str__(self) -> str:
        return f"{self.term} {self.month:%Y-%m}: {self.value}"


class ComplianceReport(models.Model):
    """A month's SLA compliance, frozen (issue 13 §2): an immutable snapshot of the
    scorecard (``data``, see ``sla.compliance.figures``) with the watermark of the
    events it saw and the terms version it measured. Regenerating a month adds a new
    version and keeps the old ones; ``changes`` says what moved since the previous
    version. Holds ids, never names."""

    class Reason(models.TextChoices):
        SCHEDULED = "scheduled", _("Frozen by the daily run")
        ON_DEMAND = "on_demand", _("Generated on demand")
        REGENERATED = "regenerated", _("Regenerated")
        DEMO = "demo", _("Demo data")

    month = models.DateField(_("month"))  # its first day
    version = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("figures"))
    watermark = models.DateTimeField(_("events recorded up to"))
    terms = models.ForeignKey(
        TermSet, verbose_name=_("SLA terms version"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    reason = models.CharField(_("why"), max_length=16, choices=Reason.choices)
    changes = models.JSONField(_("changes since the previous version"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("frozen at"), default=timezone.now)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "-version"]
        verbose_name = _("SLA compliance report")
        verbose_name_plural = _("SLA compliance reports")
        constraints = [
            models.UniqueConstraint(fields=["month", "version"], name="sla_report_month_version")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} v{self.version}"

    def save(self, *args, **kwargs):
        # A snapshot never changes; only the note that it was emailed is added.
        if self.pk is not None and not self._state.adding:
            fields = set(kwargs.get("update_fields") or ())
            if fields != {"emailed_at"}:
                raise ValueError("A compliance report is immutable.")
        super().save(*args, **kwargs)
