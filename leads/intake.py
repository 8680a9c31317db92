"""Lead intake: validate rows and upsert them, idempotently, in bulk.

CONTRACT (used by the REST API, the file import and the demo seeder):

    leads_ingest(*, rows, source_system, actor_user=None, actor_system="",
                 naive_tz=None) -> IngestResult

``rows`` are dicts keyed by ``INTAKE_FIELDS``. Valid rows are saved; invalid
ones come back in ``errors`` with their index and field messages. When
``naive_tz`` is None a datetime without a time zone is an error naming the
field; otherwise it is read in ``naive_tz`` (the file import passes
TIME_ZONE).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Field names accepted by intake (API JSON keys, import column targets).
INTAKE_FIELDS = (
    "external_id",
    "source_system",
    "name",
    "email",
    "phone",
    "title",
    "seniority",
    "wechat_id",
    "language",
    "company",
    "domain",
    "employees",
    "annual_revenue",
    "industry",
    "region",
    "country",
    "source_channel",
    "campaign",
    "created_at_source",
    "do_not_contact",
    "consent_source",
    "consent_at",
)


@dataclass
class RowResult:
    index: int
    id: int
    status: Literal["created", "updated"]


@dataclass
class RowError:
    index: int
    errors: dict[str, list[str]]


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    rejected: int = 0
    results: list[RowResult] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def leads_ingest(*, rows, source_system, actor_user=None, actor_system="", naive_tz=None):
    raise NotImplementedError("being written (issue 2, intake helper)")
