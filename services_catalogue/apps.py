from django.apps import AppConfig


class ServicesCatalogueConfig(AppConfig):
    name = "services_catalogue"
    verbose_name = "Services catalogue"
