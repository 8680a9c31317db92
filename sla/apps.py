from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"

    def ready(self) -> None:
        from sla.calendars.hooks import register as register_calendars
        from sla.clocks import setup as clocks_setup
        from sla.compliance import demo as compliance_demo
        from sla.compliance import setup as compliance_setup
        from sla.policies import nav as policies_nav
        from sla.policies import setup as policies_setup

        clocks_setup.register()
        register_calendars()
        policies_nav.register()
        compliance_demo.register()
        policies_setup.register()
        compliance_setup.register()
