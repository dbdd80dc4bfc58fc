"""Routes for care facilities, their service logs and the public meal-point finder."""

from django.urls import path

from ..views import facilities

urlpatterns = [
    path("facilities/", facilities.FacilityListView.as_view(), name="facility_list"),
    path("facilities/new/", facilities.FacilityCreateView.as_view(), name="facility_create"),
    path("facilities/<int:pk>/", facilities.FacilityDetailView.as_view(), name="facility_detail"),
    path("facilities/<int:pk>/edit/", facilities.FacilityEditView.as_view(), name="facility_edit"),
    path("facilities/<int:pk>/log/", facilities.FacilityLogView.as_view(), name="facility_log"),
    path("meal-points/", facilities.MealPointsView.as_view(), name="meal_points"),
]
