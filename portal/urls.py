"""Root URLs. Each practice app adds `path("<app>/", include("<app>.urls"))` here."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from .views import accounts, cases, dashboards, followups, shell
from .views import attachments as attachment_views
from .views import exports as export_views

portal_patterns = [
    path("", shell.HomeView.as_view(), name="home"),
    path("ui/text-size/", shell.text_size, name="text_size"),
    path("health/", shell.health, name="health"),
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
