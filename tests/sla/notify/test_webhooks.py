"""Team webhooks: posted to a receiver the test starts on 127.0.0.1 — the body in Slack
or WeCom style, signed with the team's secret, the delivery's stable id; retried with
backoff after a failure, failed after the last attempt, each attempt logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sla.models import TeamSla, WebhookDelivery
from sla.notify.sweep import sweep
from sla.notify.webhooks import webhooks_send
from tests.sla.notify.conftest import T0, make_clock

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
SECRET = "s3cret-of-the-team"


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers the next status
    of ``statuses`` (the last one repeats)."""

    def __init__(self):
        self.posts: list[dict] = []
        self.statuses = [200]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append({"headers": dict(self.headers), "body": body})
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def hooked_team(sdr_team_east, receiver):
    TeamSla.objects.create(team=sdr_team_east, webhook_url=receiver.url, webhook_secret=SECRET)
    return sdr_team_east


def test_a_slack_style_post_signed_with_the_teams_secret(receiver, hooked_team, sdr):
    clock = make_clock(owner=sdr, team=hooked_team)
    clock.lead.name = "Ann Lee"
    clock.lead.save()
    sweep(now=T0 + 3 * H)

    assert webhooks_send(now=T0 + 3 * H) == {"delivered": 1, "retrying": 0, "failed": 0}

    (post,) = receiver.posts
    delivery = WebhookDelivery.objects.get()
    body = post["body"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert post["headers"]["X-Smarketing-Signature"] == expected
    assert post["headers"]["X-Smarketing-Delivery"] == str(delivery.delivery_id)
    assert post["headers"]["Content-Type"].startswith("application/json")
    text = json.loads(body)["text"]
    assert text.startswith("First touch due soon\nLead: Ann Lee\nOwner: Sam East\nDue: ")
    assert f"/leads/{clock.lead_id}/" in text
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at == T0 + 3 * H
    assert delivery.log == [{"at": (T0 + 3 * H).isoformat(), "status": 200, "error": ""}]
    assert webhooks_send(now=T0 + 4 * H - timedelta(minutes=1))["delivered"] == 0  # once


def test_a_wecom_style_post(receiver, hooked_team, sdr):
    TeamSla.objects.filter(team=hooked_team).update(webhook_style="wecom")
    make_clock(owner=sdr, team=hooked_team)
    sweep(now=T0 + 3 * H)
    webhooks_send(now=T0 + 3 * H)
    data = json.loads(receiver.posts[0]["body"])
    assert data["msgtype"] == "text"
    assert data["text"]["content"].startswith("First touch due soon")


def test_a_500_is_retried_with_backoff_and_logged(receiver, hooked_team, sdr):
    receiver.statuses = [500, 503, 200]
    make_clock(owner=sdr, team=hooked_team)
    sweep(now=T0 + 3 * H)
    now = T0 + 3 * H

    assert webhooks_send(now=now)["retrying"] == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == now + timedelta(minutes=1)

    assert webhooks_send(now=now + timedelta(seconds=59))["retrying"] == 0  # not yet
    assert webhooks_send(now=now + timedelta(minutes=1))["retrying"] == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == now + timedelta(minutes=1 + 2)

    assert webhooks_send(now=now + timedelta(minutes=3))["delivered"] == 1
    delivery.refresh_from_db()
    assert [entry["status"] for entry in delivery.log] == [500, 503, 200]
    assert delivery.status == "delivered"
    # the same delivery id each time: the receiver can drop a repeat
    assert len({post["headers"]["X-Smarketing-Delivery"] for post in receiver.posts}) == 1
    assert len(receiver.posts) == 3


def test_after_eight_failed_attempts_the_delivery_has_failed(receiver, hooked_team, sdr):
    receiver.statuses = [500]
    make_clock(owner=sdr, team=hooked_team)
    sweep(now=T0 + 3 * H)
    now = T0 + 3 * H
    waits = []
    for _ in range(8):
        webhooks_send(now=now)
        delivery = WebhookDelivery.objects.get()
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at

    assert (delivery.status, delivery.attempts) == ("failed", 8)
    assert waits[:7] == [timedelta(minutes=2**n) for n in range(7)]  # 1, 2, 4 … 64 min
    assert len(delivery.log) == 8
    assert webhooks_send(now=now + timedelta(days=1)) == {
        "delivered": 0,
        "retrying": 0,
        "failed": 0,
    }
    assert len(receiver.posts) == 8


def test_a_receiver_that_is_down_is_an_error_logged_and_retried(hooked_team, sdr, receiver):
    receiver.stop()  # nothing listens there any more
    make_clock(owner=sdr, team=hooked_team)
    sweep(now=T0 + 3 * H)
    webhooks_send(now=T0 + 3 * H)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.last_status_code is None
    assert "ConnectionError" in delivery.last_error
    assert delivery.log[0]["error"] == delivery.last_error


def test_teams_without_a_webhook_get_no_delivery(sdr, sdr_team_east):
    TeamSla.objects.create(team=sdr_team_east)
    make_clock(owner=sdr, team=sdr_team_east)
    assert sweep(now=T0 + 3 * H)["webhooks"] == 0
