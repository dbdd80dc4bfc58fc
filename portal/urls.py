"""Root URLs. Each practice app adds `path("<app>/", include("<app>.urls"))` here."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from .views import accounts, cases, dashboards, followups, privacy, shell
from .views import attachments as attachment_views
from .views import audit as audit_views
from .views import exports as export_views
from .views import handover as handover_views
from .views import security as security_views

portal_patterns = [
    path("", shell.HomeView.as_view(), name="home"),
    path("ui/text-size/", shell.text_size, name="text_size"),
    path("health/", shell.health, name="health"),
    path("about/", shell.AboutView.as_view(), name="about"),
    path("dashboard/", dashboards.DashboardView.as_view(), name="dashboard"),
    path("dashboard/<int:pk>/", dashboards.DashboardView.as_view(), name="dashboard_area"),
    path("accounts/me/", accounts.MyAccountView.as_view(), name="my_account"),
    path("accounts/register/", accounts.RegisterView.as_view(), name="register"),
    path("cases/<int:pk>/", cases.CaseDetailView.as_view(), name="case_detail"),
    path("cases/<int:pk>/comment/", cases.CaseCommentView.as_view(), name="case_comment"),
    path("cases/<int:pk>/assign/", cases.CaseAssignView.as_view(), name="case_assign"),
    path("cases/<int:pk>/close/", cases.CaseCloseView.as_view(), name="case_close"),
    path("cases/<int:pk>/rate/", cases.CaseRateView.as_view(), name="case_rate"),
    path("cases/mine/", cases.MyOpenCasesView.as_view(), name="my_open_cases"),
    path("requests/", cases.MyRequestsView.as_view(), name="my_requests"),
    path("status/", cases.StatusView.as_view(), name="status"),
    path("search/", cases.SearchView.as_view(), name="search"),
    path("follow-ups/", followups.MyFollowUpsView.as_view(), name="my_follow_ups"),
    path("follow-ups/<int:pk>/done/", followups.FollowUpDoneView.as_view(), name="follow_up_done"),
    path("notifications/", followups.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/<int:pk>/open/",
        followups.NotificationOpenView.as_view(),
        name="notification_open",
    ),
    path(
        "notifications/read/",
        followups.NotificationsReadAllView.as_view(),
        name="notifications_read",
    ),
    # attachments: added here
    path(
        "cases/<int:pk>/attachments/new/",
        attachment_views.AttachmentAddView.as_view(),
        name="attachment_add",
    ),
    path("attachments/<int:pk>/", attachment_views.attachment_file, name="attachment"),
    path(
        "attachments/<int:pk>/thumbnail/",
        attachment_views.attachment_thumbnail,
        name="attachment_thumbnail",
    ),
    # exports: added here
    path("exports/jobs/<int:pk>/", export_views.ExportJobView.as_view(), name="export_job"),
    path("exports/jobs/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("exports/<str:provider>/", export_views.export, name="export"),
    # two-factor login and sessions: added here
    path(
        "accounts/me/two-factor/",
        security_views.TwoFactorSetupView.as_view(),
        name="two_factor_setup",
    ),
    path(
        "accounts/me/two-factor/verify/",
        security_views.TwoFactorVerifyView.as_view(),
        name="two_factor_verify",
    ),
    path(
        "accounts/me/recovery-codes/",
        security_views.RecoveryCodesRenewView.as_view(),
        name="recovery_codes_renew",
    ),
    path(
        "accounts/me/sessions/end-others/",
        security_views.SessionsEndOthersView.as_view(),
        name="sessions_end_others",
    ),
    path(
        "people/accounts/<int:pk>/two-factor/reset/",
        security_views.AccountTwoFactorResetView.as_view(),
        name="account_two_factor_reset",
    ),
    # privacy: added here
    path("accounts/me/data/", privacy.my_data, name="my_data"),
    path("privacy/", privacy.PrivacyView.as_view(), name="privacy"),
    path("privacy/edit/", privacy.PrivacyEditView.as_view(), name="privacy_edit"),
    # audit and staff hand-over: added here
    path("audit/", audit_views.AuditIndexView.as_view(), name="audit"),
    path(
        "audit/reveals/",
        audit_views.AuditListView.as_view(list_name="reveals"),
        name="audit_reveals",
    ),
    path(
        "audit/exports/",
        audit_views.AuditListView.as_view(list_name="exports"),
        name="audit_exports",
    ),
    path(
        "audit/logins/", audit_views.AuditListView.as_view(list_name="logins"), name="audit_logins"
    ),
    path(
        "audit/failed-logins/",
        audit_views.AuditListView.as_view(list_name="failed_logins"),
        name="audit_failed_logins",
    ),
    path(
        "audit/refused/",
        audit_views.AuditListView.as_view(list_name="refused"),
        name="audit_refused",
    ),
    path(
        "audit/cases/<int:pk>/",
        audit_views.CaseHistoryView.as_view(),
        name="audit_case_history",
    ),
    path(
        "people/accounts/<int:pk>/hand-over/",
        handover_views.HandOverView.as_view(),
        name="account_handover",
    ),
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
    path("housing/", include("housing.urls")),
    path("disputes/", include("disputes.urls")),
    path("elevators/", include("elevators.urls")),
    path("eldercare/", include("eldercare.urls")),
    path("stations/", include("stations.urls")),
    path("civility/", include("civility.urls")),
    # Visitors choose their language before they log in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
