"""The team pool's order as a partial index, on PostgreSQL: claiming the next lead
(``leads.queue.CLAIM_SQL``) and the pool page (``leads.queue.team_pool``) read the
first entries instead of sorting the whole pool.

PostgreSQL only, hence not in ``Lead.Meta.indexes``: SQLite rejects ``NULLS LAST`` in
an index (and has one writer at a time: nothing to gain there). The expressions are
those Django writes for ``_pool()``'s ORDER BY and WHERE; tests/leads/test_claim_next.py
checks that both plans use the index.
"""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS "lead_pool_order_idx" ON "leads_lead" (
    (CASE WHEN "score_quadrant" = 'hot' THEN 0
          WHEN "score_quadrant" = 'sales_check' THEN 1
          WHEN "score_quadrant" = 'nurture' THEN 2
          WHEN "score_quadrant" = 'drop' THEN 3 ELSE 4 END),
    "score_total" DESC NULLS LAST, "mql_at", "id"
) WHERE ("owner_id" IS NULL AND "stage" = 'mql')
"""
DROP = 'DROP INDEX IF EXISTS "lead_pool_order_idx"'


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_queue_routing_pipeline")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
