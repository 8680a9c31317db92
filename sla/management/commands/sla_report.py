"""``manage.py sla_report --month YYYY-MM [--check | --regenerate]``: the monthly SLA
compliance report (``sla.compliance.reports``).

- no flag: freeze the month if it has no report yet, and print its latest version;
- ``--regenerate``: freeze a new version (the old ones stay) and print what changed;
- ``--check``: recompute the latest version's month as of its watermark from the
  events and clocks and print every figure that differs; exit 1 when one does. What
  events recorded after the watermark would change (a backdated touch) is printed too,
  as the next version's changes, not as a difference.

An open month is printed month to date, never frozen; a future month is refused.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from sla import period_terms as P
from sla.compliance import figures, reports
from sla.models import ComplianceReport


class Command(BaseCommand):
    help = "Freeze, regenerate or check a month's SLA compliance report."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--check", action="store_true", help="recompute and compare")
        group.add_argument("--regenerate", action="store_true", help="freeze a new version")

    def handle(self, *args, month: str, check: bool, regenerate: bool, **options) -> None:
        start = P.parse_month(month) if "\x00" not in month else None
        if start is None:
            raise CommandError(f"--month: {month!r} is not a month (YYYY-MM).")
        state = figures.month_state(start)
        if state == "future":
            raise CommandError(f"--month: {month} is in the future.")
        if state == "open":
            if check or regenerate:
                raise CommandError(f"--month: {month} is still open: it is never frozen.")
            self._print(figures.scorecard(start), "month to date")
            return
        if check:
            self._check(start, month)
            return
        report = reports.latest(start)
        if report is None or regenerate:
            report = reports.freeze(
                start,
                reason=ComplianceReport.Reason.REGENERATED
                if report is not None
                else ComplianceReport.Reason.ON_DEMAND,
            )
        self._print(report.data, f"version {report.version}, watermark {report.watermark}")
        for change in report.changes:
            self.stdout.write(f"  changed: {self._change(change)}")

    def _check(self, start, month: str) -> None:
        report = reports.latest(start)
        if report is None:
            raise CommandError(f"--month: {month} has no report to check; freeze it first.")
        found = reports.check(report)
        for change in found:
            self.stdout.write(f"DIFFERENCE {self._change(change)}")
        for change in reports.pending(report):
            self.stdout.write(f"next version would change: {self._change(change)}")
        if found:
            self.stdout.write(f"{month} v{report.version}: {len(found)} differences.")
            sys.exit(1)
        self.stdout.write(
            f"{month} v{report.version}: no difference as of its watermark {report.watermark}."
        )

    def _change(self, change: dict) -> str:
        where = change["term"]
        if change["dimension"]:
            where += f" [{change['dimension']}={change['key']}]"
        return f"{where} {change['field']}: {change['before']} → {change['after']}"

    def _print(self, data: dict, note: str) -> None:
        self.stdout.write(f"SLA compliance {data['month']} ({data['zone']}), {note}")
        for line in data["terms"]:
            self.stdout.write(
                f"  {line['side']:<9} {line['term']:<26} target {line['target']:>8} "
                f"actual {line['actual'] or '—':>8} {line['verdict']}"
            )
