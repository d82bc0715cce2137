from django.urls import include, path

from despatch.api.app import api
from despatch.web import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", health.favicon, name="favicon"),
    path("api/", api.urls),
    path("", include("despatch.web.urls")),
]
