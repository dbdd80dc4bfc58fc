"""Root URLs. Each practice app adds `path("<app>/", include("<app>.urls"))` here."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from .views import accounts, cases, shell

portal_patterns = [
    path("", shell.HomeView.as_view(), name="home"),
    path("ui/text-size/", shell.text_size, name="text_size"),
    path("health/", shell.health, name="health"),
    path("accounts/me/", accounts.MyAccountView.as_view(), name="my_account"),
    path("accounts/register/", accounts.RegisterView.as_view(), name="register"),
    path("cases/<int:pk>/", cases.CaseDetailView.as_view(), name="case_detail"),
    # attachments: added here
    # exports: added here
    path("people/accounts/", accounts.AccountListView.as_view(), name="account_list"),
    path("people/accounts/new/", accounts.AccountCreateView.as_view(), name="account_create"),
    path("people/accounts/<int:pk>/", accounts.AccountDetailView.as_view(), name="account_detail"),
    path(
        "people/accounts/<int:pk>/reset-password/",
        accounts.AccountResetPasswordView.as_view(),
        name="account_reset_password",
    ),
    path(
        "people/accounts/<int:pk>/deactivate/",
        accounts.AccountDeactivateView.as_view(),
        name="account_deactivate",
    ),
    path(
        "people/accounts/<int:pk>/reactivate/",
        accounts.AccountReactivateView.as_view(),
        name="account_reactivate",
    ),
    path(
        "people/accounts/<int:pk>/memberships/new/",
        accounts.MembershipGrantView.as_view(),
        name="membership_grant",
    ),
    path(
        "people/accounts/<int:pk>/memberships/<int:membership>/end/",
        accounts.MembershipEndView.as_view(),
        name="membership_end",
    ),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    # Before Django's own auth URLs, so the one-time-password lock is lifted on change.
    path(
        "accounts/password_change/",
        accounts.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Visitors choose their language before they log in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
