from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        # Routing listens on the MQL seam (scoring) and the SQL seam (conversion).
        from leads.queue import routing

        routing.register()
