from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Public site"

    def ready(self):
        from . import cache  # noqa: F401  (connects the cache-invalidation signals)
