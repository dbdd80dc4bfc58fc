"""Inspection and finding pages under /civility/."""

from django.urls import path

from ..views import inspections as views

urlpatterns = [
    path("inspections/", views.InspectionListView.as_view(), name="inspection_list"),
    path("inspections/start/", views.InspectionStartView.as_view(), name="inspection_start"),
    path("inspections/<int:pk>/", views.InspectionDetailView.as_view(), name="inspection_detail"),
    path("inspections/<int:pk>/answer/", views.AnswerView.as_view(), name="inspection_answer"),
    path("inspections/<int:pk>/finish/", views.FinishView.as_view(), name="inspection_finish"),
    path("findings/", views.FindingListView.as_view(), name="finding_list"),
    path("findings/<int:pk>/", views.FindingDetailView.as_view(), name="finding_detail"),
    path("findings/<int:pk>/resolve/", views.FindingResolveView.as_view(), name="finding_resolve"),
    path("findings/<int:pk>/recheck/", views.FindingRecheckView.as_view(), name="finding_recheck"),
]
