from django.apps import AppConfig


class SmarketingConfig(AppConfig):
    name = "smarketing"
    verbose_name = "smarketing"

    def ready(self) -> None:
        from smarketing import checks  # noqa: F401  (registers system checks)
