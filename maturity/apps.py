from django.apps import AppConfig


class MaturityConfig(AppConfig):
    name = "maturity"
    verbose_name = "MLOps maturity"
    default_auto_field = "django.db.models.BigAutoField"
