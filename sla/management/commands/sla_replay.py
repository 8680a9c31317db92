"""``manage.py sla_replay [--lead ID ... | --all]``: recompute SLA clocks from the
lead events (``sla.clocks.sync``). Shipping the clocks runs it with ``--all``
(``make run`` does after the demo); it is safe to run at any time: a lead's clocks are
a function of its events."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sla.clocks import sync


class Command(BaseCommand):
    help = "Recompute SLA clocks from the lead events (--lead ID, repeatable, or --all)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--lead", type=int, action="append", default=[], help="a lead id")
        parser.add_argument("--all", action="store_true", help="every lead with events")

    def handle(self, *args, lead: list[int], all: bool, **options) -> None:  # noqa: A002
        if bool(lead) == bool(all):
            raise CommandError("Give --lead ID (one or more) or --all.")
        written = sync.replay(None if all else lead)
        if options["verbosity"]:
            self.stdout.write(f"{written} clocks written.")
