"""The audit lists: personal-data reveals, exports, logins, failed logins, refused accesses.

Each list declares once its rows (scoped by `scope.audit_visible`), its filters and its
columns; the pages show those columns and the export provider writes the same ones, so
what an auditor sees and what they download never differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import django_filters
from axes.models import AccessFailureLog, AccessLog
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from .models import ExportJob, PersonalDataAccess, RefusedAccess, User
from .personal import mask_phone, normalise_phone
from .registry import ExportProvider, registry
from .scope import AUDIT, audit_visible
from .services.exports import yes_no
from .workdays import day_start


class AuditFilter(django_filters.FilterSet):
    """Who and when, shared by every audit list: an account (name, login or phone) and a
    date range in local days."""

    user_field = "user"
    by_username = False
    date_field = "at"

    account = django_filters.CharFilter(label=_("Account (name or phone)"), method="by_account")
    start = django_filters.DateFilter(
        label=_("From"), method="from_day", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = django_filters.DateFilter(
        label=_("Until"), method="until_day", widget=forms.DateInput(attrs={"type": "date"})
    )

    def by_account(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = Q(display_name__icontains=value) | Q(username__icontains=value)
        phone = normalise_phone(value)
        if phone.isdigit():
            q |= Q(phone__contains=phone)
        users = User.objects.filter(q)
        if self.by_username:
            return queryset.filter(**{f"{self.user_field}__in": users.values("username")})
        return queryset.filter(**{f"{self.user_field}__in": users.values("pk")})

    def from_day(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": day_start(value)})

    def until_day(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__lt": day_start(value + timedelta(days=1))})


class RevealFilter(AuditFilter):
    kind = django_filters.ChoiceFilter(
        label=_("Access"), choices=PersonalDataAccess.Kind.choices, empty_label=_("All")
    )
    target = django_filters.CharFilter(label=_("Record (e.g. housing.person:42)"))

    class Meta:
        model = PersonalDataAccess
        fields = ["account", "start", "end", "kind", "target"]


def _export_choices():
    return sorted(((p.name, str(p.label)) for p in registry.export_providers.values()), key=str)


class ExportFilter(AuditFilter):
    user_field = "requester"
    date_field = "created_at"

    provider = django_filters.ChoiceFilter(
        label=_("List"), choices=_export_choices, empty_label=_("All")
    )

    class Meta:
        model = ExportJob
        fields = ["account", "start", "end", "provider"]


class LoginFilter(AuditFilter):
    user_field = "username"
    by_username = True
    date_field = "attempt_time"

    class Meta:
        model = AccessLog
        fields = ["account", "start", "end"]


class FailedLoginFilter(AuditFilter):
    user_field = "username"
    by_username = True
    date_field = "attempt_time"

    locked_out = django_filters.BooleanFilter(
        label=_("Locked out"),
        widget=forms.Select(choices=[("", _("All")), ("true", _("yes")), ("false", _("no"))]),
    )

    class Meta:
        model = AccessFailureLog
        fields = ["account", "start", "end", "locked_out"]


class RefusedFilter(AuditFilter):
    status = django_filters.ChoiceFilter(
        label=_("Answer"),
        choices=[(403, _("403 not allowed")), (404, _("404 not found or out of scope"))],
        empty_label=_("All"),
    )

    class Meta:
        model = RefusedAccess
        fields = ["account", "start", "end", "status"]


# --- Cells ------------------------------------------------------------------------------


def account_label(user) -> str:
    """A name and a masked login: login names are often phone numbers."""
    if user is None:
        return "—"
    login = user.username
    login = mask_phone(login) if login.isdigit() else login
    return f"{user.display_name} ({login})" if user.display_name else login


def login_label(username: str, display_name: str | None) -> str:
    login = username or ""
    login = mask_phone(login) if login.isdigit() else login
    return f"{display_name} ({login})" if display_name else login


def _params_label(params: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted((params or {}).items())) or "—"


def _provider_label(name: str) -> str:
    provider = registry.export_providers.get(name)
    return str(provider.label) if provider else name


# --- The lists --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditList:
    """One audit list: its rows for a viewer, its filters and its columns."""

    name: str
    label: Any
    filterset: type
    rows: Callable[[Any], Any]
    columns: tuple

    @property
    def export_name(self) -> str:
        return f"portal.audit_{self.name}"

    def filtered(self, user, params) -> AuditFilter:
        return self.filterset(params or None, queryset=self.rows(user))


def _reveal_rows(user):
    return audit_visible(PersonalDataAccess.objects.select_related("user"), user)


def _export_rows(user):
    return audit_visible(
        ExportJob.objects.select_related("requester"), user, user_field="requester"
    )


def _with_names(queryset):
    """The account's name beside the login typed, in the same query; newest first (axes'
    models have no ordering of their own)."""
    names = User.objects.filter(username=OuterRef("username")).values("display_name")[:1]
    return queryset.annotate(display_name=Subquery(names)).order_by("-attempt_time", "-pk")


def _login_rows(user):
    return audit_visible(
        _with_names(AccessLog.objects.all()), user, user_field="username", by_username=True
    )


def _failed_login_rows(user):
    return audit_visible(
        _with_names(AccessFailureLog.objects.all()),
        user,
        user_field="username",
        by_username=True,
    )


def _refused_rows(user):
    return audit_visible(RefusedAccess.objects.select_related("user"), user)


AUDIT_LISTS: dict[str, AuditList] = {
    a.name: a
    for a in [
        AuditList(
            "reveals",
            _("Personal data opened"),
            RevealFilter,
            _reveal_rows,
            (
                (_("Time"), lambda r: r.at),
                (_("By"), lambda r: account_label(r.user)),
                (_("Access"), lambda r: r.get_kind_display()),
                (_("Record"), lambda r: r.target),
                (_("Field"), lambda r: r.field),
                (_("Reason"), lambda r: r.reason or "—"),
            ),
        ),
        AuditList(
            "exports",
            _("Exports"),
            ExportFilter,
            _export_rows,
            (
                (_("Time"), lambda r: r.created_at),
                (_("By"), lambda r: account_label(r.requester)),
                (_("List"), lambda r: _provider_label(r.provider)),
                (_("Filters"), lambda r: _params_label(r.params)),
                (_("Format"), lambda r: r.get_format_display()),
                (_("Rows"), lambda r: r.rows_total),
                (_("State"), lambda r: r.get_state_display()),
            ),
        ),
        AuditList(
            "logins",
            _("Logins"),
            LoginFilter,
            _login_rows,
            (
                (_("Time"), lambda r: r.attempt_time),
                (_("Account"), lambda r: login_label(r.username, r.display_name)),
                (_("IP address"), lambda r: r.ip_address or "—"),
                (_("Logged out"), lambda r: r.logout_time or "—"),
            ),
        ),
        AuditList(
            "failed_logins",
            _("Failed logins"),
            FailedLoginFilter,
            _failed_login_rows,
            (
                (_("Time"), lambda r: r.attempt_time),
                (_("Account"), lambda r: login_label(r.username, r.display_name)),
                (_("IP address"), lambda r: r.ip_address or "—"),
                (_("Locked out"), lambda r: yes_no(r.locked_out)),
            ),
        ),
        AuditList(
            "refused",
            _("Refused accesses"),
            RefusedFilter,
            _refused_rows,
            (
                (_("Time"), lambda r: r.at),
                (_("By"), lambda r: account_label(r.user)),
                (_("Answer"), lambda r: r.status),
                (_("Address"), lambda r: r.path),
                (_("Record"), lambda r: r.target or "—"),
                (_("IP address"), lambda r: r.ip_address or "—"),
            ),
        ),
    ]
}


def _export_queryset(audit_list: AuditList):
    def queryset(user, params):
        filtered = audit_list.filtered(user, params)
        if filtered.is_bound and not filtered.is_valid():
            raise ValidationError(
                "; ".join(str(m) for errors in filtered.errors.values() for m in errors),
                code="filters",
            )
        return filtered.qs

    return queryset


def register_exports() -> None:
    """Every audit list is exportable, under the AUDIT kind's EXPORT right; the export
    itself is an ExportJob, so it shows in the audit of exports."""
    for audit_list in AUDIT_LISTS.values():
        registry.add_export_provider(
            ExportProvider(
                name=audit_list.export_name,
                label=audit_list.label,
                queryset=_export_queryset(audit_list),
                columns=audit_list.columns,
                kind=AUDIT,
            )
        )
