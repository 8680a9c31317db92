from django.apps import AppConfig


class FunnelConfig(AppConfig):
    name = "funnel"
