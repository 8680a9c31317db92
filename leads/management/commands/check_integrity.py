"""``manage.py check_integrity``: the data model's invariants (``leads.integrity``),
each violation listed with the lead; exit status 1 when any is broken, 0 when clean."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leads import integrity


class Command(BaseCommand):
    help = _(
        "Check the data model's invariants (owned leads assigned, MQLs routed, "
        "opportunities and returns present, stages agreeing with the event log…) and list "
        "each violation with its lead. Exit status 1 on any violation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=20,
            help=_("leads listed per broken invariant (default 20; 0: counts only)"),
        )
        parser.add_argument(
            "--invariant",
            action="append",
            dest="invariants",
            metavar="NAME",
            help=_("check only this invariant (repeatable; --list shows the names)"),
        )
        parser.add_argument("--list", action="store_true", help=_("list the invariants and exit"))

    def handle(self, *args, limit, invariants, list, **options):
        if list:
            for invariant in integrity.all_invariants():
                self.stdout.write(f"{invariant.name}\n    {invariant.description}")
            return
        if limit < 0:
            raise CommandError(_("--limit must be 0 or more."))
        known = {invariant.name for invariant in integrity.all_invariants()}
        unknown = [name for name in invariants or () if name not in known]
        if unknown:
            raise CommandError(
                _("Unknown invariant: %(names)s (see --list).") % {"names": ", ".join(unknown)}
            )
        findings = integrity.integrity_check(names=invariants, limit=limit)
        broken = [f for f in findings if f.count]
        for finding in findings:
            name = finding.invariant.name
            if not finding.count:
                self.stdout.write(self.style.SUCCESS(f"ok    {name}"))
                continue
            self.stdout.write(
                self.style.ERROR(
                    ngettext(
                        "FAIL  %(name)s: %(count)s lead — %(rule)s",
                        "FAIL  %(name)s: %(count)s leads — %(rule)s",
                        finding.count,
                    )
                    % {
                        "name": name,
                        "count": f"{finding.count:,}",
                        "rule": finding.invariant.description,
                    }
                )
            )
            for pk, label in finding.leads:
                self.stdout.write(f"      #{pk}  {label}")
            if finding.count > len(finding.leads):
                self.stdout.write(
                    "      "
                    + _("… and %(more)s more") % {"more": f"{finding.count - len(finding.leads):,}"}
                )
        if broken:
            total = sum(f.count for f in broken)
            raise CommandError(
                ngettext(
                    "%(invariants)d invariant broken, %(violations)s violation.",
                    "%(invariants)d invariants broken, %(violations)s violations.",
                    total,
                )
                % {"invariants": len(broken), "violations": f"{total:,}"},
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(_("All %(count)d invariants hold.") % {"count": len(findings)})
        )
