"""Routes for criteria sets (with their import) and inspection sites."""

from django.urls import path

from ..views import criteria

urlpatterns = [
    path("criteria/", criteria.CriteriaSetListView.as_view(), name="criteria_list"),
    path("criteria/import/", criteria.CriteriaImportView.as_view(), name="criteria_import"),
    path("criteria/<int:pk>/", criteria.CriteriaSetDetailView.as_view(), name="criteria_detail"),
    path("sites/", criteria.SiteListView.as_view(), name="site_list"),
    path("sites/new/", criteria.SiteCreateView.as_view(), name="site_create"),
    path("sites/<int:pk>/", criteria.SiteDetailView.as_view(), name="site_detail"),
    path("sites/<int:pk>/edit/", criteria.SiteEditView.as_view(), name="site_edit"),
]
