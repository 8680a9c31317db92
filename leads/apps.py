from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        # The seams of leads.hooks, filled by the layers above the ones that call them:
        # scoring scores what intake stores; routing listens on the MQL and SQL seams.
        # The lead page offers the AE's pipeline actions beside the SDR's.
        # Each capability words the timeline events it writes.
        from leads.intake import timeline as intake_timeline
        from leads.pipeline import timeline as pipeline_timeline
        from leads.pipeline import views as pipeline_views
        from leads.queue import routing
        from leads.queue import timeline as queue_timeline
        from leads.scoring import rescore
        from leads.scoring import timeline as scoring_timeline

        rescore.register()
        routing.register()
        pipeline_views.register()
        for timeline in (intake_timeline, scoring_timeline, queue_timeline, pipeline_timeline):
            timeline.register()
