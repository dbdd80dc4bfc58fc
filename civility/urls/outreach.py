"""Routes for outreach events, organising teams and the measures page."""

from django.urls import path

from ..views import outreach

urlpatterns = [
    path("events/", outreach.EventListView.as_view(), name="event_list"),
    path("events/new/", outreach.EventCreateView.as_view(), name="event_create"),
    path("events/<int:pk>/", outreach.EventDetailView.as_view(), name="event_detail"),
    path("events/<int:pk>/edit/", outreach.EventEditView.as_view(), name="event_edit"),
    path("teams/", outreach.TeamListView.as_view(), name="team_list"),
    path("teams/new/", outreach.TeamCreateView.as_view(), name="team_create"),
    path("teams/<int:pk>/", outreach.TeamDetailView.as_view(), name="team_detail"),
    path("measures/", outreach.MeasuresView.as_view(), name="measures"),
]
