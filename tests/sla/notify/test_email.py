"""The notifications' email: after the sweep's commit, at least once, in the reader's
language, with a Message-ID from the notification's stable delivery id."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem

from sla.models import Notification, PersonLanguage
from sla.notify import words
from sla.notify.email import emails_send, message_id
from sla.notify.sweep import sweep
from tests.sla.notify.conftest import T0, make_clock

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def test_each_notification_is_emailed_once_with_its_delivery_id(sdr, sdr_team_east, sales_manager):
    clock = make_clock(owner=sdr, team=sdr_team_east, lead=None)
    clock.lead.name = "Ann Lee"
    clock.lead.save()
    sweep(now=T0 + 6 * H)  # breach → sam, manager → max

    assert emails_send() == 2
    assert emails_send() == 0  # marked: not sent again

    by_to = {message.to[0]: message for message in mail.outbox}
    assert set(by_to) == {"sam@example.com", "max@example.com"}
    breach = Notification.objects.get(step="breach")
    message = by_to["sam@example.com"]
    assert message.extra_headers["Message-ID"] == message_id(breach)
    assert str(breach.delivery_id) in message.extra_headers["Message-ID"]
    assert message.extra_headers["X-Smarketing-Delivery"] == str(breach.delivery_id)
    assert message.subject == "[smarketing] First touch breached — Ann Lee"
    assert "Owner: Sam East" in message.body
    assert f"/leads/{clock.lead_id}/" in message.body
    assert by_to["max@example.com"].subject.startswith(
        "[smarketing] First touch breached: escalated to the manager"
    )
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


class SendThenDie(locmem.EmailBackend):
    """A mail server that takes the messages, then the sender dies before its mark."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise ConnectionResetError("the worker died after sending")


def test_a_crash_between_send_and_mark_sends_again(sdr, settings):
    """At least once: the mark commits after the send; a failure in between rolls
    it back and the next run sends the same message (same Message-ID) again."""
    make_clock(owner=sdr)
    sweep(now=T0 + 3 * H)

    settings.EMAIL_BACKEND = f"{__name__}.SendThenDie"
    with pytest.raises(ConnectionResetError):
        emails_send()
    assert Notification.objects.get().emailed_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert emails_send() == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[0].extra_headers["Message-ID"] == mail.outbox[1].extra_headers["Message-ID"]


def test_a_recipient_without_an_address_is_marked_without_a_message(sdr):
    sdr.email = ""
    sdr.save()
    make_clock(owner=sdr)
    sweep(now=T0 + 3 * H)
    assert emails_send() == 0
    assert mail.outbox == []
    assert Notification.objects.get().emailed_at is not None


def test_the_email_is_in_the_site_language(sdr, settings):
    """Someone who never chose a language: the site's (LANGUAGE_CODE)."""
    settings.LANGUAGE_CODE = "zh-hans"
    make_clock(owner=sdr)
    sweep(now=T0 + 3 * H)
    emails_send()
    (message,) = mail.outbox
    assert message.subject.startswith("[smarketing] 首次跟进即将到期")
    assert "负责人" in message.body


def test_the_email_is_in_the_language_the_person_chose_in_the_app(client, sdr, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(sdr)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    make_clock(owner=sdr)
    sweep(now=T0 + 3 * H)
    emails_send()
    (message,) = mail.outbox
    assert message.subject.startswith("[smarketing] 首次跟进即将到期")

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert words.user_language(sdr) == "en"


def test_an_unknown_language_keeps_nothing(client, sdr):
    client.force_login(sdr)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert not PersonLanguage.objects.filter(user=sdr).exists()
