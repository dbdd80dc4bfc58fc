from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Area, Membership, Organisation, RuleSet, User
from .registry import registry
from .services.rules import rule_set_publish

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

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.masked_phone


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
