from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Area, Membership, Organisation, User

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
