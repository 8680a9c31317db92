"""Who works where: the teams (marketing, SDR, AE) with their manager, members,
distribution mode and qualification framework. The app label stays ``leads``
(tables and migrations unchanged)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Team(TimeStamped):
    class Kind(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        SDR = "sdr", _("SDR")
        AE = "ae", _("Account executives")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="teams"
    )

    class Mode(models.TextChoices):
        POOL = "pool", _("Pool: people claim leads")
        ROUND_ROBIN = "round_robin", _("Weighted round-robin")
        FEWEST_OPEN = "fewest_open", _("Fewest open leads")

    class Framework(models.TextChoices):
        BANT = "bant", _("BANT")
        MEDDIC = "meddic", _("MEDDIC")

    mode = models.CharField(
        _("distribution"), max_length=16, choices=Mode.choices, default=Mode.POOL
    )
    framework = models.CharField(
        _("qualification framework"),
        max_length=8,
        choices=Framework.choices,
        default=Framework.BANT,
    )
    required_criteria = models.JSONField(
        _("required criteria"),
        default=list,
        blank=True,
        help_text=_("Criteria that must be “yes” before a lead converts; empty = all."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name
