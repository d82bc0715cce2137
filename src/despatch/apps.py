from django.apps import AppConfig


class DespatchConfig(AppConfig):
    name = "despatch"
    verbose_name = "Despatch"
    default_auto_field = "django.db.models.BigAutoField"
