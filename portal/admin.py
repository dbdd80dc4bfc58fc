from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import (
    Area,
    ExportJob,
    Membership,
    Organisation,
    PersonalDataAccess,
    PrivacyNotice,
    RefusedAccess,
    RetentionRun,
    RuleSet,
    User,
)
from .registry import registry
from .services.rules import rule_set_publish
from .services.security import second_factor_reset

admin.site.site_header = _("Community governance portal")
admin.site.site_title = _("Community governance portal")


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ("role", "area", "organisation", "programme", "ended_at")
    autocomplete_fields = ("area", "organisation")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Portal"), {"fields": ("display_name", "phone", "must_change_password")}),
    )
    list_display = ("username", "display_name", "masked_phone", "is_active", "last_login")
    search_fields = ("username", "display_name", "phone")
    inlines = [MembershipInline]
    actions = ["reset_second_factor"]

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.masked_phone

    # two-factor login: added here
    @admin.action(description=_("Reset two-factor login (lost phone)"))
    def reset_second_factor(self, request, queryset):
        done = 0
        for account in queryset:
            try:
                second_factor_reset(actor=request.user, account=account, now=timezone.now())
            except PermissionDenied:
                continue
            done += 1
        self.message_user(
            request,
            ngettext(
                "Two-factor login reset for %(count)d account.",
                "Two-factor login reset for %(count)d accounts.",
                done,
            )
            % {"count": done},
        )


@admin.register(Area)
class AreaAdmin(TreeAdmin, SimpleHistoryAdmin):
    form = movenodeform_factory(Area)
    list_display = ("name", "level", "code", "is_placeholder")
    list_filter = ("level", "is_placeholder")
    search_fields = ("name", "code")


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "type", "area", "is_placeholder")
    list_filter = ("type",)
    search_fields = ("name",)
    autocomplete_fields = ("area",)


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "role", "area", "organisation", "programme", "created_at", "ended_at")
    list_filter = ("role", "programme")
    search_fields = ("user__username", "user__display_name")
    autocomplete_fields = ("user", "area", "organisation")
    list_select_related = ("user", "area", "organisation")


class RuleSetForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("rule kind"))

    class Meta:
        model = RuleSet
        fields = ["kind", "area", "valid_from", "payload", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.name, k.label) for k in registry.rule_kinds.values()]

    def clean(self):
        cleaned = super().clean()
        kind = registry.rule_kinds.get(cleaned.get("kind"))
        if kind and isinstance(cleaned.get("payload"), dict):
            try:
                cleaned["payload"] = kind.validate(cleaned["payload"])
            except ValidationError as error:
                self.add_error("payload", error.messages)
        return cleaned


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Saving never changes a version: it publishes a new one from the form."""

    form = RuleSetForm
    list_display = ("kind", "area", "version", "valid_from", "created_by", "created_at")
    list_filter = ("kind",)
    autocomplete_fields = ("area",)
    readonly_fields = ("version", "created_by", "created_at")

    def save_model(self, request, obj, form, change):
        published = rule_set_publish(
            kind=form.cleaned_data["kind"],
            area=form.cleaned_data["area"],
            payload=form.cleaned_data["payload"],
            valid_from=form.cleaned_data["valid_from"],
            actor=request.user,
            note=form.cleaned_data["note"],
        )
        obj.pk, obj.version = published.pk, published.version

    def has_delete_permission(self, request, obj=None):
        return False


# --- Audit: read-only everywhere (audit and staff hand-over: added here) ----------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit rows are written by the portal only; nobody adds, edits or deletes them here
    (the retention task deletes them when their time is up)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "kind", "target", "field")
    list_filter = ("kind",)
    date_hierarchy = "at"


@admin.register(RefusedAccess)
class RefusedAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "status", "path", "target")
    list_filter = ("status",)
    date_hierarchy = "at"


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "requester", "provider", "format", "rows_total", "state")
    list_filter = ("state", "provider")
    date_hierarchy = "created_at"


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ("at", "case_kind", "cutoff", "anonymised", "deleted")
    date_hierarchy = "at"


# django-axes registers its logs editable; the login trail is audit, so read-only here.
for _model, _base in ((AccessLog, AccessLogAdmin), (AccessFailureLog, AccessFailureLogAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, type(f"ReadOnly{_base.__name__}", (ReadOnlyAdmin, _base), {}))


# privacy notice: added here
@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(admin.ModelAdmin):
    """Every save is a new version (as on /privacy/edit/); old versions are only read."""

    list_display = ("controller", "updated_by", "updated_at")
    readonly_fields = ("updated_by", "updated_at")
    fields = ("controller", "contact", "body_zh", "body_en", "updated_by", "updated_at")

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
