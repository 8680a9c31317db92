"""Four clients post the same batch at once: exactly one lead per identity (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from leads.models import Account, Lead, LeadEvent

pytestmark = [pytest.mark.postgres]


def batch():
    rows = []
    for n in range(300):
        row = {"source_channel": "website", "name": f"Lead {n}", "company": f"Company {n % 40}"}
        if n % 3 == 0:
            row["email"] = f"lead{n}@company{n % 40}.example"
        elif n % 3 == 1:
            row["external_id"] = f"ext-{n}"
        else:
            row["phone"] = f"+86138{n:08d}"
        rows.append(row)
    return rows


@pytest.mark.django_db(transaction=True)
def test_four_clients_posting_the_same_batch_create_one_lead_per_identity(api_as, integration):
    # given four authenticated clients and one batch
    rows = batch()
    clients = [api_as(integration) for _ in range(4)]
    barrier = threading.Barrier(4)
    answers: list = []
    failures: list = []

    def post(client):
        try:
            barrier.wait()
            response = client.post("/api/v1/leads/bulk/", rows, format="json")
            answers.append((response.status_code, response.json()))
        except Exception as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)
        finally:
            connection.close()

    # when they post at the same moment
    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then every request succeeded and exactly one lead exists per identity
    assert failures == []
    assert sorted(status for status, _ in answers) == [200] * 4
    assert sum(body["created"] for _, body in answers) == 300
    assert sum(body["updated"] for _, body in answers) == 900
    assert Lead.objects.count() == 300
    assert LeadEvent.objects.filter(kind="created").count() == 300
    assert Account.objects.count() == 40 + 40  # by domain (email rows) and by name (others)
    ids = {tuple(r["id"] for r in body["results"]) for _, body in answers}
    assert len(ids) == 1
