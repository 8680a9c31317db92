"""``manage.py seed_demo``: build the synthetic demo company (see ``leads.demo.company``)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from leads.demo import company as demo


class Command(BaseCommand):
    help = _(
        "Build a synthetic demo company: teams, a user per role, accounts and a year of leads "
        "with their activities and event history."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--leads", type=int, default=2000, help=_("number of leads (default 2000)")
        )
        parser.add_argument(
            "--seed", type=int, default=2024, help=_("random seed; the same seed, the same data")
        )
        parser.add_argument(
            "--if-empty", action="store_true", help=_("do nothing when any lead exists")
        )
        parser.add_argument(
            "--reset", action="store_true", help=_("delete the demo leads and accounts first")
        )

    def handle(self, *args, leads, seed, if_empty, reset, **options):
        if leads < 0:
            raise CommandError(_("--leads must be 0 or more."))
        try:
            result = demo.demo_seed(leads=leads, seed=seed, if_empty=if_empty, reset=reset)
        except demo.DemoDataExists:
            raise CommandError(
                _("Demo data already exists: pass --reset to rebuild it, or --if-empty.")
            ) from None
        if result.skipped:
            self.stdout.write(_("Leads already exist: the demo data was not loaded (--if-empty)."))
            return
        self.stdout.write(_("Demo company loaded (synthetic data, source system “demo”):"))
        for table, count in result.counts.items():
            self.stdout.write(f"  {table:<12} {count:>9,}")
        stages = ", ".join(f"{stage} {count:,}" for stage, count in sorted(result.stages.items()))
        self.stdout.write(_("  stages: %(stages)s") % {"stages": stages})
        self.stdout.write(
            _("Demo password for every user: %(password)s  (see: manage.py demo_logins)")
            % {"password": result.password}
        )
        self.stdout.write(
            self.style.SUCCESS(_("Done in %(seconds).1f s.") % {"seconds": result.elapsed})
        )
