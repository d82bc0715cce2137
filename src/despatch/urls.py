from django.urls import include, path

from despatch.api.app import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("despatch.web.urls")),
]
