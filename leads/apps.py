from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        # The seams of leads.hooks, filled by the layers above the ones that call them:
        # scoring scores what intake stores; routing listens on the MQL and SQL seams.
        # The lead page offers the AE's pipeline actions beside the SDR's.
        from leads.pipeline import views as pipeline_views
        from leads.queue import routing
        from leads.scoring import rescore

        rescore.register()
        routing.register()
        pipeline_views.register()
