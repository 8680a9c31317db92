"""``manage.py demo_logins``: who to log in as in the demo, per role (``make run`` prints it)."""

from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils.translation import gettext as _

from leads.demo import company as demo
from leads.people import roles


class Command(BaseCommand):
    help = _("Print the demo users for each role with their password.")

    def handle(self, *args, **options):
        try:
            logins = demo.demo_logins()
        except DatabaseError:
            self.stdout.write(_("No database yet: run `python manage.py migrate` first."))
            return
        if not logins:
            self.stdout.write(
                _("No demo users yet: run `python manage.py seed_demo` to load the demo company.")
            )
            return
        self.stdout.write(_("Demo logins:"))
        for login in logins:
            if login.password:
                secret = _("password: %(password)s") % {"password": login.password}
            elif login.token:
                secret = _("API token: %(token)s") % {"token": login.token}
            else:
                secret = _("no password (API only)")
            label = str(roles.ROLES.get(login.role, login.role))
            team = f" [{login.team}]" if login.team else ""
            self.stdout.write(
                f"  {label:<20} {login.username:<16} {login.full_name}{team}  — {secret}"
            )
