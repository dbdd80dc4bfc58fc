"""Clinic pages under /disputes/."""

from django.urls import path  # noqa: F401 - the sections below add their paths

app_name = "disputes"

urlpatterns = [
    # intake pages
    # mediation pages
    # queue, detail and concerns
]
