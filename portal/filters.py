"""List filters of the core pages."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Membership, User
from .personal import normalise_phone
from .roles import Role


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or phone"), method="search")
    role = django_filters.ChoiceFilter(
        label=_("Role"), choices=Role.choices, method="by_role", empty_label=_("All roles")
    )
    is_active = django_filters.BooleanFilter(
        label=_("Status"),
        widget=forms.Select(
            choices=[("", _("All")), ("true", _("active")), ("false", _("deactivated"))]
        ),
    )

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        phone = normalise_phone(value)
        q = Q(display_name__icontains=value) | Q(username__icontains=value)
        if phone.isdigit():
            q |= Q(phone__contains=phone)
        return queryset.filter(q)

    def by_role(self, queryset, name, value):
        members = Membership.objects.active().filter(role=value).values("user_id")
        return queryset.filter(pk__in=members)
