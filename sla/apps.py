from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"

    def ready(self) -> None:
        from sla.clocks import setup as clocks_setup

        clocks_setup.register()
