from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"

    def ready(self) -> None:
        from sla.calendars.hooks import register as register_calendars
        from sla.clocks import setup as clocks_setup

        clocks_setup.register()
        register_calendars()
