"""Team webhooks: each clock step of a team with ``TeamSla.webhook_url`` is posted once
to it — made exactly once by the sweep (``WebhookDelivery``, unique per team, clock,
step), sent at least once.

The post: JSON, in Slack style ``{"text": …}`` or WeCom style ``{"msgtype": "text",
"text": {"content": …}}`` (``TeamSla.webhook_style``), the text in the site's
language; headers ``X-Smarketing-Delivery`` (the delivery's stable id: a receiver
drops a repeat) and ``X-Smarketing-Signature`` = ``sha256=`` + the hex HMAC-SHA256 of
the body's bytes with the team's ``webhook_secret``; a 5-second timeout. A 2xx answer
delivers it; anything else (another status, a refused connection, a timeout) is
retried after 1, 2, 4, 8 … minutes (``SLA_WEBHOOK_BACKOFF_SECONDS`` doubled each
time), and after ``SLA_WEBHOOK_MAX_ATTEMPTS`` (8) attempts the delivery has failed.
Every attempt is logged on the row (time, status code or error).

``webhooks_send()`` claims one due delivery at a time with ``UPDATE … WHERE id = (SELECT
… FOR UPDATE SKIP LOCKED LIMIT 1)``, moving its ``next_attempt_at`` a lease ahead
(``SLA_WEBHOOK_LEASE_SECONDS``) so that no other worker posts the same attempt; it
posts outside any transaction and records the outcome. A worker that dies between the
claim and the record leaves the delivery to be posted again when the lease ends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from sla.models import Clock, TeamSla, WebhookDelivery
from sla.notify import words

DELIVERY_HEADER = "X-Smarketing-Delivery"
SIGNATURE_HEADER = "X-Smarketing-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(delivery: WebhookDelivery, team_sla: TeamSla) -> bytes:
    clock = Clock.objects.select_related("lead", "owner").get(pk=delivery.clock_id)
    with translation.override(settings.LANGUAGE_CODE):
        text = words.summary(delivery.step, clock)
    if team_sla.webhook_style == TeamSla.Style.WECOM:
        data = {"msgtype": "text", "text": {"content": text}}
    else:
        data = {"text": text}
    return json.dumps(data, ensure_ascii=False).encode()


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … times the base."""
    return timedelta(seconds=settings.SLA_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempts - 1))


def _claim(now: datetime) -> WebhookDelivery | None:
    lease = now + timedelta(seconds=settings.SLA_WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        delivery = due.first()
        if delivery is None:
            return None
        claimed_until = delivery.next_attempt_at
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=lease)
    delivery.claimed_until = claimed_until
    return delivery


def post(delivery: WebhookDelivery, *, now: datetime | None = None) -> WebhookDelivery:
    """One attempt: post, then record the outcome (module docs)."""
    team_sla = TeamSla.objects.filter(team_id=delivery.team_id).first()
    status_code, error = None, ""
    if team_sla is None or not team_sla.webhook_url:
        error = "no webhook address"
    else:
        body = payload(delivery, team_sla)
        try:
            answer = requests.post(
                team_sla.webhook_url,
                data=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    DELIVERY_HEADER: str(delivery.delivery_id),
                    SIGNATURE_HEADER: signature(team_sla.webhook_secret, body),
                    "User-Agent": "smarketing-sla-webhook",
                },
                timeout=settings.SLA_WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            status_code = answer.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
    at = now or timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error
    delivery.log = [
        *delivery.log,
        {"at": at.isoformat(), "status": status_code, "error": error},
    ]
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = at
    elif delivery.attempts >= settings.SLA_WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = at + backoff(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts", "last_status_code", "last_error", "log", "status", "delivered_at",
            "next_attempt_at",
        ]
    )  # fmt: skip
    return delivery


def webhooks_send(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Post every due delivery once (module docs); answers the outcome counts."""
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    for _round in range(limit):
        delivery = _claim(now or timezone.now())
        if delivery is None:
            break
        done = post(delivery, now=now)
        key = {"delivered": "delivered", "failed": "failed"}.get(done.status, "retrying")
        counts[key] += 1
    return counts
