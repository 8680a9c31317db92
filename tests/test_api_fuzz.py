"""A property-based fuzz of the whole API from its OpenAPI schema (schemathesis).

Every operation of the schema drf-spectacular generates (``/api/schema/``) is run
with the credentials of each role (a token per role), on the test PostgreSQL
database, through the WSGI application in this process (308 tests: 44 operations
× 7 roles). Bounds, chosen to keep CI within a minute on two cores:

- at most ``FUZZ_EXAMPLES`` examples per (operation, role): 15 unless the environment
  says otherwise (``FUZZ_EXAMPLES=25 make fuzz``: the issue's bound, about 60 % more
  time). The first 5 probe: when every answer is a refusal at the door (401, 403,
  404: the role may not, or sees nothing there), the rest are not generated;
- examples made to fit the schema and examples made not to, in equal parts;
- seeded: Hypothesis' seed is ``FUZZ_SEED`` (10) with the operation, role and phase,
  so a run draws the same choices again (schemathesis caches some strategies per
  process, so under xdist the order of tests can still vary a case: each failure is
  printed as a curl command to reproduce it, and kept as a plain test once fixed);
- no shrinking (a failing case is reported as found), no deadline, no example
  database.

Checks on every answer:

- not a server error (no 5xx);
- the status code is one the schema declares for the operation;
- the content type is the declared one, and the body conforms to the declared
  schema of that status;
- a 4xx wrote nothing: no row of any table inserted, updated or deleted during the
  call (PostgreSQL's per-transaction statistics, ``pg_stat_xact_user_tables``, read
  before and after the call; a rolled-back savepoint keeps its counts, so the count
  after one 4xx serves as the count before the next example).

The data set is a small demo company (``leads.demo``, 60 leads in every stage)
plus a routing rule, a draft scoring model, a return and an opportunity, made once per module
inside a transaction rolled back at its end; each example runs in a savepoint
rolled back after it, so every example starts from the same rows. Path
parameters are, two times in three, the id of a row that exists (a lead the role
sees, a job, a model version, a return, an opportunity, a rule), so examples reach
past the 404.

Run alone: ``make fuzz`` (README, "API fuzzing").
"""

from __future__ import annotations

import logging
import os
import zlib
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leads.people import roles
from tests.factories import LeadFactory
from tests.helpers import rolled_back

pytestmark = pytest.mark.postgres

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# The first examples of each (operation, role); when every answer was a refusal at the
# door (the role may not: 403; not visible, not there: 404), the rest are not run.
PROBE_EXAMPLES = 5
REFUSALS = {401, 403, 404}
SEED = int(os.environ.get("FUZZ_SEED", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _openapi_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


SCHEMA = schemathesis.openapi.from_dict(_openapi_schema())
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}
ROLES = sorted(roles.ROLES)


@dataclass
class FuzzData:
    tokens: dict[str, str]
    ids: dict[str, list[int]] = field(default_factory=dict)


def _seed() -> FuzzData:
    """A lean company: the demo's users (one per role and more), 60 leads in every stage
    with their history, a published scoring model and its jobs; plus a draft model, a
    routing rule, MQLs and SALs held by the SDR whose token is used (one returned), and
    an opportunity held by the AE whose token is used."""
    from django.contrib.auth import get_user_model

    from leads import lifecycle
    from leads.demo import company as demo
    from leads.models import Job, Lead, LeadReturn, Opportunity, RoutingRule, ScoringModelVersion
    from leads.people.models import Team
    from leads.pipeline.services import sql_accept
    from leads.queue.work import lead_return

    now = timezone.now() - timedelta(hours=1)
    demo.demo_seed(leads=60, seed=11, now=now)
    published = ScoringModelVersion.objects.get(status="published")
    ScoringModelVersion.objects.create(
        number=published.number + 1, name="draft", definition=published.definition
    )
    RoutingRule.objects.create(
        name="China", conditions={"region": ["cn"]}, team=Team.objects.filter(kind="sdr").first()
    )
    users = get_user_model().objects
    people = {
        role: users.filter(groups__name=role, is_active=True).order_by("pk").first()
        for role in ROLES
    }
    tokens = {role: Token.objects.get_or_create(user=user)[0].key for role, user in people.items()}
    # MQLs and SALs held by the SDR (the demo's queues may be empty this small: nothing
    # in it waits forever)
    held = [
        LeadFactory(stage=stage, owner=people[roles.SDR], assigned_at=now, source_system="demo")
        for stage in (lifecycle.MQL, lifecycle.MQL, lifecycle.MQL, lifecycle.SAL, lifecycle.SAL)
    ]
    mql = held[0]
    lead_return(lead=mql, by=people[roles.SDR], reason=lifecycle.WRONG_INFORMATION)
    # two SQLs held by the AE (the demo's history may have none this small)
    sqls = [
        LeadFactory(stage=lifecycle.SQL, owner=people[roles.AE], source_system="demo")
        for _ in range(2)
    ]
    sql_accept(
        lead=sqls[0],
        by=people[roles.AE],
        amount="12000",
        expected_close=(now + timedelta(days=30)).date().isoformat(),
    )
    from leads.selectors import leads_visible_to
    from sla.calendars.services import default_calendar
    from sla.models import BusinessCalendar, Clock, Notification, TermSet
    from sla.policies.services import create_draft, published_terms

    default_calendar()  # a transactional test earlier in this process may have flushed it
    published_terms()  # in force (again, if a flush removed the migration's)
    create_draft(None, name="draft")

    # one SLA notification for each role's person (the API shows people their own)
    clock = Clock.objects.create(
        lead=held[1], term="first_touch", side="sales", state="running", owner=people[roles.SDR],
        started_at=now, due_at=now, target=timedelta(hours=4), unit="working_hours",
    )  # fmt: skip
    for user in people.values():
        Notification.objects.create(recipient=user, clock=clock, lead=held[1], step="breach")
    visible = {
        f"leads:{role}": list(
            leads_visible_to(viewer=user).order_by("pk").values_list("pk", flat=True)
        )
        for role, user in people.items()
    }
    return FuzzData(
        tokens=tokens,
        ids={
            **visible,
            "leads": list(Lead.objects.order_by("pk").values_list("pk", flat=True)),
            "jobs": list(Job.objects.values_list("pk", flat=True)),
            "scoring": list(ScoringModelVersion.objects.values_list("pk", flat=True)),
            "returns": list(LeadReturn.objects.values_list("pk", flat=True)),
            "opportunities": list(Opportunity.objects.values_list("pk", flat=True)),
            "routing": list(RoutingRule.objects.values_list("pk", flat=True)),
            **{
                f"notifications:{role}": list(
                    Notification.objects.filter(recipient=user).values_list("pk", flat=True)
                )
                for role, user in people.items()
            },
            "calendars": list(BusinessCalendar.objects.values_list("pk", flat=True)),
            "sla_terms": list(TermSet.objects.values_list("pk", flat=True)),
        },
    )


@pytest.fixture(scope="module")
def fuzz_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), rolled_back():
        yield _seed()


def _known_ids(data: FuzzData, path: str, role: str) -> list[int]:
    """Ids of rows that exist for ``path``'s ``{id}``: for a lead, those ``role`` sees."""
    if path.startswith("/api/v1/leads/{id}"):
        return data.ids[f"leads:{role}"] or data.ids["leads"]
    if path.startswith("/api/v1/notifications/{id}"):  # one's own (sla.notify.api)
        return data.ids[f"notifications:{role}"]
    for prefix, key in (
        ("/api/v1/jobs/", "jobs"),
        ("/api/v1/scoring/models/{id}", "scoring"),
        ("/api/v1/returns/{id}", "returns"),
        ("/api/v1/opportunities/{id}", "opportunities"),
        ("/api/v1/routing/rules/{id}", "routing"),
        ("/api/v1/sla/calendars/{id}", "calendars"),
        ("/api/v1/sla/terms/{id}", "sla_terms"),
    ):
        if path.startswith(prefix):
            return data.ids[key]
    return []


class InTestTransaction:
    """Django's WSGI application without the request signals' connection recycling, as
    ``django.test.Client`` runs it: ``close_old_connections`` would otherwise end the
    test's transaction (its autocommit differs from the settings') on every request.
    The exception behind a 500 is kept for the report."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.exception: BaseException | None = None

    def _keep(self, sender, request=None, **kwargs):
        import sys

        self.exception = sys.exc_info()[1]

    def __call__(self, environ, start_response):
        self.exception = None
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        got_request_exception.connect(self._keep)
        try:
            response = self.handler(environ, start_response)
            body = b"".join(response)
            response.close()
        finally:
            got_request_exception.disconnect(self._keep)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return [body]


def _rows_written() -> int:
    """Rows this transaction has inserted, updated or deleted so far, in any table
    (PostgreSQL's per-transaction statistics: one cheap query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
            " FROM pg_stat_xact_user_tables"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def _quiet():
    """Django logs every 4xx as a warning: thousands here."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.mark.django_db
@pytest.mark.usefixtures("_quiet")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_api_fuzz(label, role, fuzz_data):
    operation = OPERATIONS[label]
    app = InTestTransaction()
    headers = {"Authorization": f"Token {fuzz_data.tokens[role]}"}
    strategies = [
        operation.as_strategy(mode, headers=headers)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    if "id" in operation.path_parameters and (ids := _known_ids(fuzz_data, operation.path, role)):
        strategies += [
            st.sampled_from(ids).flatmap(
                lambda pk, mode=mode: operation.as_strategy(
                    mode, headers=headers, path_parameters={"id": pk}
                )
            )
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for _ in range(2)
        ]
    failures: list[str] = []
    statuses: set[int] = set()
    # The counters only grow, and a savepoint rolled back keeps what its statements
    # counted: after a 4xx (which wrote nothing, or fails) the count read after it is
    # the next example's "before" too, one query less per example. After any other
    # answer the next example reads its own.
    counted: list[int] = []

    def check(case):
        with transaction.atomic():
            before = counted.pop() if counted else _rows_written()
            response = case.call(app=app)
            after = before
            if 400 <= response.status_code < 500:
                after = _rows_written()
                counted.append(after)
            transaction.set_rollback(True)
        statuses.add(response.status_code)
        problems = []
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            problems += [f"{f.title}: {f.message}" for f in group.exceptions]
        except AssertionError as error:
            problems.append(str(error))
        if after != before:
            problems.append(f"a {response.status_code} wrote {after - before} rows")
        if app.exception is not None:
            problems.append(f"raised {app.exception!r}")
        if problems:
            failures.append(
                f"{case.as_curl_command()}\n  -> {response.status_code} "
                f"{response.content[:300]!r}\n  " + "\n  ".join(problems)
            )

    def fuzz(examples: int, phase: str) -> None:
        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @seed(zlib.crc32(f"{SEED}|{label}|{role}|{phase}".encode()))
        @given(case=st.one_of(strategies))
        def run(case):
            check(case)

        run()

    fuzz(min(PROBE_EXAMPLES, EXAMPLES), "probe")
    if EXAMPLES > PROBE_EXAMPLES and not statuses <= REFUSALS:
        fuzz(EXAMPLES - PROBE_EXAMPLES, "rest")
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(failures[:5])


@pytest.mark.django_db
def test_rows_written_sees_a_write_of_this_transaction():
    """The 4xx check's instrument: a row inserted, updated or deleted counts at once."""
    before = _rows_written()
    lead = LeadFactory()
    lead.name = "Ann"
    lead.save(update_fields=["name"])

    assert _rows_written() >= before + 2


@pytest.mark.django_db
def test_rows_written_keeps_what_a_rolled_back_savepoint_wrote():
    """The fuzz reads the count after one 4xx as the count before the next example,
    across the savepoint rolled back between them: the rollback must not lower it."""
    with transaction.atomic():
        before = _rows_written()
        LeadFactory()
        written = _rows_written()
        transaction.set_rollback(True)

    assert written > before
    assert _rows_written() == written
