from django.apps import AppConfig


class ServicesCatalogueConfig(AppConfig):
    name = "services_catalogue"
    verbose_name = "Services catalogue"

    def ready(self):
        from . import signals  # noqa: F401  (connects the search index's receivers)
