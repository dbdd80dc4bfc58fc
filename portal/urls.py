"""Root URLs. Each practice app adds `path("<app>/", include("<app>.urls"))` here."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import views

portal_patterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("ui/text-size/", views.text_size, name="text_size"),
    path("health/", views.health, name="health"),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("accounts/", include("django.contrib.auth.urls")),
    # Visitors choose their language before they log in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
