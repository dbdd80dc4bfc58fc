"""Routes for the staff pages, under /stations/staff/ so they never meet the public
finder's paths."""

from django.urls import path

from ..views import staff

urlpatterns = [
    path("staff/", staff.StationListView.as_view(), name="station_list"),
    path("staff/new/", staff.StationCreateView.as_view(), name="station_create"),
    path("staff/<int:pk>/", staff.StationDetailView.as_view(), name="station_detail"),
    path("staff/<int:pk>/edit/", staff.StationEditView.as_view(), name="station_edit"),
    path("staff/<int:pk>/hours/", staff.StationHoursView.as_view(), name="station_hours"),
    path(
        "staff/<int:pk>/amenities/",
        staff.StationAmenitiesView.as_view(),
        name="station_amenities",
    ),
    path("staff/<int:pk>/check/", staff.SupplyCheckView.as_view(), name="station_check"),
    path("staff/<int:pk>/close/", staff.StationCloseView.as_view(), name="station_close"),
    path("staff/<int:pk>/reopen/", staff.StationReopenView.as_view(), name="station_reopen"),
    path("staff/usage/", staff.UsageView.as_view(), name="usage"),
    path("staff/coverage/", staff.CoverageView.as_view(), name="coverage"),
    path("staff/compliance/", staff.ComplianceView.as_view(), name="compliance"),
    path("staff/feedback/", staff.FeedbackQueueView.as_view(), name="feedback_queue"),
    path(
        "staff/feedback/<int:pk>/moderate/",
        staff.FeedbackModerateView.as_view(),
        name="feedback_moderate",
    ),
]
