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
    path("accounts/me/", views.MyAccountView.as_view(), name="my_account"),
    path("accounts/register/", views.RegisterView.as_view(), name="register"),
    path("people/accounts/", views.AccountListView.as_view(), name="account_list"),
    path("people/accounts/new/", views.AccountCreateView.as_view(), name="account_create"),
    path("people/accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account_detail"),
    path(
        "people/accounts/<int:pk>/reset-password/",
        views.AccountResetPasswordView.as_view(),
        name="account_reset_password",
    ),
    path(
        "people/accounts/<int:pk>/deactivate/",
        views.AccountDeactivateView.as_view(),
        name="account_deactivate",
    ),
    path(
        "people/accounts/<int:pk>/reactivate/",
        views.AccountReactivateView.as_view(),
        name="account_reactivate",
    ),
    path(
        "people/accounts/<int:pk>/memberships/new/",
        views.MembershipGrantView.as_view(),
        name="membership_grant",
    ),
    path(
        "people/accounts/<int:pk>/memberships/<int:membership>/end/",
        views.MembershipEndView.as_view(),
        name="membership_end",
    ),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    # Before Django's own auth URLs, so the one-time-password lock is lifted on change.
    path(
        "accounts/password_change/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Visitors choose their language before they log in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
