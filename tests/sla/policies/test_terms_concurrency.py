"""Two directors publish two drafts at the same moment, and two processes find no
terms in force at once: still exactly one version in force (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from sla.models import TermSet
from sla.policies import services

pytestmark = [pytest.mark.postgres]
Status = TermSet.Status


def at_once(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = []
    failures: list = []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, failures


@pytest.mark.django_db(transaction=True)
def test_two_publications_at_once_leave_one_in_force(admin_user, director):
    v1 = services.published_terms()
    drafts = [services.create_draft(admin_user), services.create_draft(director)]
    for _ in range(3):
        results, failures = at_once(
            lambda first=drafts[0]: services.publish(first, by=admin_user),
            lambda second=drafts[1]: services.publish(second, by=director),
        )
        assert failures == []
        assert len(results) == 2
        published = TermSet.objects.filter(status=Status.PUBLISHED)
        assert published.count() == 1
        assert set(TermSet.objects.exclude(pk__in=published).values_list("status", flat=True)) == {
            Status.RETIRED
        }
        # the one published first was retired the instant the second was published
        first = TermSet.objects.get(pk__in=[d.pk for d in drafts], status=Status.RETIRED)
        assert first.retired_at == published.get().published_at
        v1.refresh_from_db()
        assert v1.status == Status.RETIRED
        drafts = [services.create_draft(admin_user), services.create_draft(director)]


@pytest.mark.django_db(transaction=True)
def test_two_processes_making_the_defaults_again_make_one():
    TermSet.objects.all().delete()
    results, failures = at_once(*(services.published_terms for _ in range(4)))
    assert failures == []
    assert len({r.pk for r in results}) == 1
    assert TermSet.objects.get().status == Status.PUBLISHED
