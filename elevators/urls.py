"""Elevator retrofit pages under /elevators/."""

from django.urls import path  # noqa: F401 - the sections below add their paths

app_name = "elevators"

urlpatterns = [
    # projects
    # consent
    # stages, objections and meetings
    # cost sharing
]
