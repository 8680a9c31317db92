"""The leads app's data (teams live in ``leads.people.models``): accounts, leads, their
behaviour and the immutable event log, scoring model versions and predictive snapshots,
routing (rules, people's settings, domain lists), working a lead (touches,
qualification, returns, opportunities) and long jobs; and the lead constants its
packages share."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from leads.audit.models import AuditRecord  # noqa: F401  (the app's models are found here)
from leads.people.models import Team, TimeStamped
from leads.people.names import person_name


class RepSettings(TimeStamped):
    """A person's routing settings: away (routing skips them), weight and daily cap
    in weighted round-robin."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="rep_settings",
    )
    away = models.BooleanField(_("away"), default=False)
    away_since = models.DateTimeField(_("away since"), null=True, blank=True)
    back_at = models.DateTimeField(_("back since"), null=True, blank=True)
    weight = models.PositiveSmallIntegerField(_("round-robin weight"), default=1)
    daily_cap = models.PositiveIntegerField(_("daily cap"), null=True, blank=True)

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")

    def __str__(self) -> str:
        return str(self.user)


class DomainListEntry(TimeStamped):
    """Admin-editable domain lists: free-mail, competitor and customer domains."""

    class Kind(models.TextChoices):
        FREE_MAIL = "free_mail", _("Free-mail provider")
        COMPETITOR = "competitor", _("Competitor")
        CUSTOMER = "customer", _("Current customer")

    domain = models.CharField(_("domain"), max_length=253)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)

    class Meta:
        ordering = ["kind", "domain"]
        verbose_name = _("domain list entry")
        verbose_name_plural = _("domain lists")
        constraints = [
            models.UniqueConstraint(fields=["kind", "domain"], name="domainlist_kind_domain_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.domain} ({self.get_kind_display()})"


class Account(TimeStamped):
    name = models.CharField(_("company name"), max_length=200)
    name_normalised = models.CharField(max_length=200, db_index=True, editable=False)
    domain = models.CharField(_("domain"), max_length=253, null=True, blank=True, unique=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("annual revenue (USD)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 code"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.name


class StatementNow(Now):
    """``clock_timestamp()`` on PostgreSQL (``now()`` is the transaction's start, which
    can be long before its commit); the current time elsewhere."""

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="CLOCK_TIMESTAMP()", **extra_context)


class Stage(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    MQL = "mql", _("MQL")
    SAL = "sal", _("SAL")
    SQL = "sql", _("SQL")
    OPPORTUNITY = "opportunity", _("Opportunity")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    RETURNED = "returned", _("Returned")
    NURTURE = "nurture", _("Nurture")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CUSTOMER_SUCCESS = "customer_success", _("Customer success")
    EXCLUDED = "excluded", _("Excluded")


class SourceChannel(models.TextChoices):
    WEBSITE = "website", _("Website")
    CONTENT = "content", _("Content")
    EVENT = "event", _("Event")
    WECHAT = "wechat", _("WeChat")
    REFERRAL = "referral", _("Referral")
    OUTBOUND = "outbound", _("Outbound")
    PAID = "paid", _("Paid ads")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class Seniority(models.TextChoices):
    EXECUTIVE = "executive", _("Executive (C-level)")
    VP = "vp", _("Vice president")
    DIRECTOR = "director", _("Director")
    MANAGER = "manager", _("Manager")
    INDIVIDUAL = "individual", _("Individual contributor")
    UNKNOWN = "unknown", _("Unknown")


class ScoringModelVersion(TimeStamped):
    """One version of the scoring model (ICP fit + interest + MQL threshold).

    ``definition`` is the pure ``leads.scoring.engine.ScoringModel.to_dict()``.
    Lifecycle: draft → published → retired (a retired one can be published again);
    at most one row is published at a time (a partial unique constraint).
    """

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
        related_name="scoring_model_versions",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("scoring model version")
        verbose_name_plural = _("scoring model versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="published"),
                name="scoringmodel_one_published",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="scoringmodel_number_positive"),
        ]

    def __str__(self) -> str:
        return f"v{self.number} {self.name}".strip()


class ScoreQuadrant(models.TextChoices):
    HOT = "hot", _("Hot")
    NURTURE = "nurture", _("Nurture")
    SALES_CHECK = "sales_check", _("Sales check")
    DROP = "drop", _("Drop")


class Lead(TimeStamped):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    email_normalised = models.CharField(max_length=254, null=True, blank=True, editable=False)
    phone = models.CharField(_("phone (E.164)"), max_length=32, null=True, blank=True)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    seniority = models.CharField(
        _("seniority"), max_length=16, choices=Seniority.choices, default=Seniority.UNKNOWN
    )
    wechat_id = models.CharField(_("WeChat id"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    company_name = models.CharField(_("company name as given"), max_length=200, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    source_channel = models.CharField(
        _("source channel"), max_length=16, choices=SourceChannel.choices
    )
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    source_system = models.CharField(_("source system"), max_length=64, blank=True)
    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True)
    created_at_source = models.DateTimeField(_("created at source"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # Source → app, in seconds, stored at intake when the source said when the lead
    # arose (for the SLA's delivery term; not a clock: nobody can act on it).
    delivery_seconds = models.PositiveIntegerField(
        _("delivery time (seconds)"), null=True, blank=True
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.INQUIRY
    )
    stage_changed_at = models.DateTimeField(_("stage changed"), default=timezone.now)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
    )
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    consent_source = models.CharField(_("consent source"), max_length=100, blank=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    score_fit = models.FloatField(_("fit score"), null=True, blank=True)
    score_grade = models.CharField(_("fit grade"), max_length=1, blank=True, db_default="")
    score_interest = models.FloatField(_("interest score"), null=True, blank=True)
    score_total = models.FloatField(_("total score"), null=True, blank=True)
    score_quadrant = models.CharField(
        _("quadrant"), max_length=16, choices=ScoreQuadrant.choices, blank=True, db_default=""
    )
    score_breakdown = models.JSONField(
        _("score breakdown"),
        default=dict,
        db_default=models.Value({}, output_field=models.JSONField()),
        blank=True,
    )
    score_model = models.ForeignKey(
        ScoringModelVersion,
        verbose_name=_("scoring model"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)
    mql_at = models.DateTimeField(_("became MQL"), null=True, blank=True)
    # Where the lead is worked: the team whose queue or pool holds it, and since when
    # its current owner has it (the SLA engine reads assignment events).
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    # db_default: intake and the demo write leads with COPY, naming only their columns
    already_customer = models.BooleanField(_("already a customer"), default=False, db_default=False)
    # The predictive score (advice beside the rule score): percent 0.01–99.99.
    win_probability = models.FloatField(_("predicted chance of winning"), null=True, blank=True)
    predicted_at = models.DateTimeField(_("predicted"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=Q(external_id__isnull=False),
                name="lead_source_external_id_uniq",
            ),
            models.UniqueConstraint(
                fields=["email_normalised"],
                condition=Q(email_normalised__isnull=False),
                name="lead_email_uniq",
            ),
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(email_normalised__isnull=True, phone__isnull=False),
                name="lead_phone_only_uniq",
            ),
            models.CheckConstraint(
                condition=Q(external_id__isnull=False)
                | Q(email_normalised__isnull=False)
                | Q(phone__isnull=False),
                name="lead_has_identity",
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "owner"], name="lead_stage_owner_idx"),
            models.Index(fields=["phone"], name="lead_phone_idx"),
            models.Index(fields=["received_at"], name="lead_received_idx"),
            models.Index(fields=["source_channel", "campaign"], name="lead_source_idx"),
            models.Index(fields=["score_quadrant"], name="lead_score_quadrant_idx"),
            models.Index(fields=["score_grade"], name="lead_score_grade_idx"),
            models.Index(fields=["team", "stage", "owner"], name="lead_team_queue_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"#{self.pk}"

    @property
    def is_demo(self) -> bool:
        """A synthetic lead of ``manage.py seed_demo`` (``DEMO_SOURCE_SYSTEM``)."""
        return self.source_system == DEMO_SOURCE_SYSTEM


# A lead's score as stored: its columns and what each holds while the lead is unscored.
# The scoring writes them (leads.scoring.rescore); intake writes them with each new lead
# (scored before it is written, or unscored while no model is published).
UNSCORED = {
    "score_fit": None,
    "score_grade": "",
    "score_interest": None,
    "score_total": None,
    "score_quadrant": "",
    "score_breakdown": {},
    "score_model_id": None,
    "scored_at": None,
}
SCORE_COLUMNS = tuple(UNSCORED)

# The source system of the synthetic leads ``manage.py seed_demo`` writes (leads.demo);
# pages and analyses that show them label them as synthetic.
DEMO_SOURCE_SYSTEM = "demo"


class ActivityType(models.TextChoices):
    DEMO_REQUEST = "demo_request", _("Demo request")
    PRICING_PAGE = "pricing_page", _("Pricing page visit")
    WEBINAR = "webinar", _("Webinar attended")
    CONTENT_DOWNLOAD = "content_download", _("Content download")
    EMAIL_CLICK = "email_click", _("Email click")
    EMAIL_OPEN = "email_open", _("Email open")
    FORM_SUBMIT = "form_submit", _("Form submitted")
    WEB_VISIT = "web_visit", _("Website visit")
    WECHAT_ARTICLE_READ = "wechat_article_read", _("WeChat article read")
    MINI_PROGRAM_VISIT = "mini_program_visit", _("Mini-program visit")
    LIVE_STREAM = "live_stream", _("Live-stream attended")
    EVENT_REGISTRATION = "event_registration", _("Event registration")
    EVENT_ATTENDED = "event_attended", _("Event attended")
    TRIAL_SIGNUP = "trial_signup", _("Trial sign-up")


class Activity(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    type = models.CharField(_("type"), max_length=32, choices=ActivityType.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=64, blank=True)
    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="activity_source_external_id_uniq",
            )
        ]
        indexes = [models.Index(fields=["lead", "occurred_at"], name="activity_lead_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class LeadEvent(models.Model):
    """The immutable log. Funnel numbers and SLA clocks are computed from it."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated by intake")
        STAGE_CHANGE = "stage_change", _("Stage change")
        ASSIGNMENT = "assignment", _("Assignment")
        SCORE_CHANGE = "score_change", _("Score change")
        TOUCH = "touch", _("Touch")
        RETURN = "return", _("Return")
        DISPUTE = "dispute", _("Dispute")
        QUALIFICATION = "qualification", _("Qualification")
        NOTE = "note", _("Note")
        CONSENT = "consent", _("Consent")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_stage = models.CharField(
        _("from stage"), max_length=20, choices=Stage.choices, null=True, blank=True
    )
    to_stage = models.CharField(
        _("to stage"), max_length=20, choices=Stage.choices, null=True, blank=True
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_system = models.CharField(_("system actor"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    # When the row was written, by the database's clock at the statement (not the
    # transaction's start): the SLA's catch-up pass reads events by it, less a margin,
    # so that a bulk write or a transaction committing late is still seen.
    recorded_at = models.DateTimeField(_("recorded"), db_default=StatementNow(), editable=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        indexes = [
            models.Index(fields=["lead", "at"], name="leadevent_lead_at_idx"),
            models.Index(fields=["kind", "at"], name="leadevent_kind_at_idx"),
            # the SLA's catch-up pass reads these kinds by recorded_at; intake's created
            # and updated events (the bulk of the log) stay out of the index
            models.Index(
                fields=["recorded_at"],
                name="leadevent_recorded_idx",
                condition=Q(
                    kind__in=[
                        "stage_change",
                        "assignment",
                        "touch",
                        "note",
                        "qualification",
                        "return",
                        "dispute",
                    ]
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(actor_user__isnull=False) | ~Q(actor_system=""),
                name="leadevent_has_actor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_stage or ''}→{self.to_stage or ''}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("LeadEvent rows are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("LeadEvent rows are immutable.")

    @property
    def actor_label(self) -> str:
        if self.actor_user_id:
            return person_name(self.actor_user)
        return self.actor_system


class ConsentChange(models.Model):
    """One change of a lead's consent, kept for good (issue 10 §4; ``leads.consent``):
    what the lead's ``do_not_contact``, ``consent_source`` and ``consent_at`` became,
    when, who (a person or a named system: the integration, the import, the demo) and
    through which door; a reversal of an opt-out always carries its reason.

    ``recorded``: consent given or changed (a new lead's consent, a later source or
    time); ``opt_out``: the person opted out (do not contact); ``reversal``: a marketing
    manager or admin reversed an opt-out. Rows are never changed or deleted."""

    class Kind(models.TextChoices):
        RECORDED = "recorded", _("Consent recorded")
        OPT_OUT = "opt_out", _("Opted out")
        REVERSAL = "reversal", _("Opt-out reversed")

    class Via(models.TextChoices):
        API = "api", _("API")
        IMPORT = "import", _("Spreadsheet import")
        PAGE = "page", _("Lead page")
        DEMO = "demo", _("Demo data")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="consent_changes")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    do_not_contact = models.BooleanField(_("do not contact"))
    consent_source = models.CharField(_("consent source"), max_length=100, blank=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    via = models.CharField(_("through"), max_length=16, choices=Via.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_system = models.CharField(_("system actor"), max_length=100, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("consent change")
        verbose_name_plural = _("consent history")
        indexes = [models.Index(fields=["lead", "at"], name="consent_lead_at_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(actor_user__isnull=False) | ~Q(actor_system=""),
                name="consentchange_has_actor",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reversal") | ~Q(reason=""),
                name="consentchange_reversal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.lead_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("ConsentChange rows are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("ConsentChange rows are immutable.")

    @property
    def actor_label(self) -> str:
        if self.actor_user_id:
            return person_name(self.actor_user)
        return self.actor_system


class Job(TimeStamped):
    """Any long job (a file import, a re-score): its progress, stored in the database."""

    class Kind(models.TextChoices):
        IMPORT = "import", _("Lead import")
        RESCORE = "rescore", _("Re-score")
        EVALUATION = "evaluation", _("Scoring model evaluation")
        PREDICTIVE = "predictive", _("Predictive score refresh")

    class State(models.TextChoices):
        DRAFT = "draft", _("Waiting for column mapping")
        PENDING = "pending", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    upload = models.FileField(_("uploaded file"), upload_to="imports/%Y/%m/", blank=True)
    report = models.FileField(_("error report"), upload_to="reports/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    UNSENT_GRACE = timedelta(seconds=10)

    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Leases and the outbox (leads.jobs): who runs the job and until when their claim
    # holds unless renewed, how many times a worker took it, and when its task was
    # last handed to the broker (None: never — the sweeper sends it).
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent to the queue"), null=True, blank=True)
    # A periodic job's period (leads.periods, e.g. the night "2026-12-02"): one job per
    # kind and period, whoever sends it. Empty for jobs a person or an event started.
    period = models.CharField(_("period"), max_length=32, null=True, blank=True, default=None)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            # What the sweeper scans: the few unfinished jobs, not the whole history.
            models.Index(
                fields=["state", "lease_expires_at"],
                name="job_unfinished_idx",
                condition=Q(state__in=["pending", "running"]),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period"],
                condition=Q(period__isnull=False),
                name="job_one_per_kind_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        return (
            int(100 * self.done / self.total)
            if self.total
            else (100 if self.state == "done" else 0)
        )

    @property
    def stalled(self) -> bool:
        """Running, but its worker stopped renewing the lease: it has died (or hangs);
        the sweeper hands the job to another worker (``leads.jobs.sweep``)."""
        return (
            self.state == self.State.RUNNING
            and self.lease_expires_at is not None
            and self.lease_expires_at < timezone.now()
        )

    @property
    def unsent(self) -> bool:
        """Queued for longer than ``UNSENT_GRACE``, but its task never reached the
        broker (it was down): the sweeper sends it when the broker is back. (A job
        run inline is pending and unsent for an instant: the grace.)"""
        return (
            self.state == self.State.PENDING
            and self.sent_at is None
            and self.updated_at is not None
            and self.updated_at < timezone.now() - self.UNSENT_GRACE
        )

    @property
    def status_note(self) -> str:
        """A sentence for the job's page while it waits on something other than work:
        a dead worker (``stalled``) or a broker that was down (``unsent``)."""
        if self.stalled:
            return gettext(
                "The worker running this job stopped. The job goes on where it stopped"
                " as soon as another worker takes it, within a minute or two."
            )
        if self.unsent:
            return gettext(
                "The task queue could not be reached. The job is recorded and starts"
                " as soon as the queue is back."
            )
        return ""

    def failure_reasons(self) -> list[str]:
        """Why a failed job stopped, as its page says it: ``result["message"]``, then
        any other text in ``errors`` (an import's rejected rows have their own table),
        each once and translated when it is one of ours (``leads.jobs`` stores its
        reasons as English msgids)."""
        result = self.result if isinstance(self.result, dict) else {}
        texts = [result.get("message"), *(self.errors if isinstance(self.errors, list) else [])]
        reasons: list[str] = []
        for text in texts:
            if isinstance(text, str) and text.strip():
                shown = gettext(text)
                if shown not in reasons:
                    reasons.append(shown)
        return reasons


class PeriodicRun(TimeStamped):
    """The last period a periodic task without a job of its own (the heartbeat) ran
    for: one row per task, moved forward by a conditional UPDATE, so a task runs at
    most once per period (``leads.periodic``)."""

    name = models.CharField(_("task"), max_length=100, unique=True)
    period = models.CharField(_("period"), max_length=32, default="", blank=True)
    ran_at = models.DateTimeField(_("last run"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")

    def __str__(self) -> str:
        return f"{self.name} @ {self.period}"


class PredictiveSnapshot(TimeStamped):
    """One training of the predictive score: the naive Bayes counts
    (``leads.scoring.predictive.PredictiveModel.to_dict()``) and how well they did
    on held-out closed leads. The newest row is the one in use."""

    model = models.JSONField(_("counts"), default=dict)
    evaluation = models.JSONField(_("accuracy on held-out leads"), default=dict, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    trained_rows = models.PositiveIntegerField(_("closed leads trained on"), default=0)
    held_out_rows = models.PositiveIntegerField(_("closed leads held out"), default=0)
    job = models.ForeignKey(
        Job,
        verbose_name=_("job"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        verbose_name = _("predictive score snapshot")
        verbose_name_plural = _("predictive score snapshots")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"


class RoutingRule(TimeStamped):
    """One ordered, admin-editable routing rule: the first active rule whose
    conditions all match a lead decides its team or person. ``conditions`` holds
    lists per key (``region``, ``country``, ``industry``, ``source_channel``,
    ``quadrant``, ``language``) and ``min_employees`` / ``max_employees``; a missing
    key matches everything."""

    class AppliesTo(models.TextChoices):
        MQL = "mql", _("MQLs (SDR teams)")
        SQL = "sql", _("SQLs (AE teams)")

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)
    applies_to = models.CharField(
        _("applies to"), max_length=8, choices=AppliesTo.choices, default=AppliesTo.MQL
    )
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )

    class Meta:
        ordering = ["applies_to", "order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=False) | Q(user__isnull=False),
                name="routingrule_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Touch(models.Model):
    """One attempt to reach a lead (call, email, WeChat, meeting, SMS) and its outcome."""

    class Channel(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", pgettext_lazy("touch channel", "Email")  # an email sent, 邮件
        WECHAT = "wechat", _("WeChat")
        MEETING = "meeting", _("Meeting")
        SMS = "sms", _("SMS")

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", _("No answer")
        CONNECTED = "connected", _("Connected")
        LEFT_MESSAGE = "left_message", _("Left a message")
        MEETING_BOOKED = "meeting_booked", _("Meeting booked")
        REPLIED = "replied", _("Replied")
        BAD_NUMBER = "bad_number", _("Bad number")
        BOUNCED = "bounced", _("Email bounced")
        NOT_INTERESTED = "not_interested", _("Not interested")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touches")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="touches",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("touch")
        verbose_name_plural = _("touches")
        indexes = [models.Index(fields=["lead", "at"], name="touch_lead_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_outcome_display()}"


class Qualification(TimeStamped):
    """A lead's BANT or MEDDIC: ``criteria`` maps each criterion to
    ``{"value": "unknown" | "yes" | "no", "note": "..."}``."""

    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="qualification")
    framework = models.CharField(
        _("framework"), max_length=8, choices=Team.Framework.choices, default="bant"
    )
    criteria = models.JSONField(_("criteria"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return f"{self.get_framework_display()} #{self.lead_id}"


class LeadReturn(TimeStamped):
    """An SDR's return of a lead to marketing, and the dispute about it, if any."""

    class Reason(models.TextChoices):
        WRONG_INFORMATION = "wrong_information", _("Wrong information")
        NOT_ICP = "not_icp", _("Not ICP")
        BAD_TIMING = "bad_timing", _("Bad timing")
        ALREADY_CUSTOMER = "already_customer", _("Already a customer")
        COMPETITOR = "competitor", _("Competitor")

    class Dispute(models.TextChoices):
        NONE = "", _("Not disputed")
        OPEN = "open", _("Disputed, waiting for a director")
        UPHELD = "upheld", _("Return upheld")
        OVERTURNED = "overturned", _("Return overturned")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="returns")
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("returned by"),
        on_delete=models.PROTECT,
        related_name="lead_returns",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices)
    at = models.DateTimeField(_("returned"), default=timezone.now)
    resolved_at = models.DateTimeField(_("fixed and re-sent"), null=True, blank=True)
    dispute = models.CharField(
        _("dispute"), max_length=12, choices=Dispute.choices, default="", blank=True
    )
    dispute_note = models.TextField(_("dispute note"), blank=True)
    disputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("disputed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disputed_at = models.DateTimeField(_("disputed"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("settled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    settlement_note = models.TextField(_("settlement note"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("lead return")
        verbose_name_plural = _("lead returns")

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.lead_id}"

    @property
    def counts_against_marketing(self) -> bool:
        """Wrong information and not-ICP returns count against marketing's quality
        term, unless a director overturned the return."""
        return (
            self.reason in (self.Reason.WRONG_INFORMATION, self.Reason.NOT_ICP)
            and self.dispute != self.Dispute.OVERTURNED
        )


class Opportunity(TimeStamped):
    """The pipeline record an AE creates when accepting an SQL; it keeps the lead's
    source so pipeline splits into marketing- and sales-sourced."""

    class Stage(models.TextChoices):
        DISCOVERY = "discovery", _("1 · Discovery")
        VALIDATION = "validation", _("2 · Validation (POC / trial)")
        NEGOTIATION = "negotiation", _("3 · Negotiation")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class Source(models.TextChoices):
        MARKETING = "marketing", _("Marketing-sourced")
        SALES = "sales", _("Sales-sourced")

    lead = models.OneToOneField(Lead, on_delete=models.PROTECT, related_name="opportunity")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    name = models.CharField(_("name"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    expected_close = models.DateField(_("expected close date"))
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.DISCOVERY
    )
    lost_reason = models.CharField(_("lost reason"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    source_channel = models.CharField(_("source channel"), max_length=16, blank=True)
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.name
