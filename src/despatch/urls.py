from django.urls import include, path

from despatch.api import health
from despatch.api.app import api

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/", api.urls),
    path("", include("despatch.web.urls")),
]
