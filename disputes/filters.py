"""List filters of the clinic's pages: the dispute queue and the concerns register."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.models import Area
from portal.roles import Action
from portal.scope import near_paths_q, reach

from .models import Category, Channel, Concern, Dispute, Mediator, PanelMember, Risk


def category_label(category: Category) -> str:
    """The category's name in the page's language: Chinese, else its English name."""
    if (get_language() or "").startswith("zh") or not category.name_en:
        return category.name
    return category.name_en


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return category_label(obj)


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryChoiceField


class DisputeFilter(django_filters.FilterSet):
    """The queue's filters; the export of disputes takes the same parameters."""

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        field_name="case__status",
        choices=Dispute.Status.choices,
        empty_label=_("All statuses"),
    )
    category = CategoryFilter(
        label=_("Category"),
        queryset=Category.objects.none(),
        empty_label=_("All categories"),
    )
    risk = django_filters.ChoiceFilter(
        label=_("Risk"), choices=Risk.choices, empty_label=_("Any risk")
    )
    mediator = django_filters.ModelChoiceFilter(
        label=_("Mediator"),
        queryset=Mediator.objects.none(),
        method="by_mediator",
        empty_label=_("Any mediator"),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="by_overdue",
        widget=forms.Select(choices=[("", _("All")), ("true", _("yes")), ("false", _("no"))]),
    )
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=Channel.choices, empty_label=_("All channels")
    )

    class Meta:
        model = Dispute
        fields = ["status", "category", "risk", "mediator", "overdue", "channel"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["category"].queryset = Category.objects.order_by("order", "code")
        # Mediators of the areas the user reaches or above them (a subdistrict's mediators
        # sit on its communities' panels). Read from the mediator pool, not from the
        # panels of every visible dispute: that would cost a district a full scan.
        r = reach(user, "disputes.dispute", Action.VIEW)
        if r.everything:
            mediators = Mediator.objects.all()
        elif r.area_paths:
            near = Area.objects.filter(near_paths_q(r.area_paths))
            mediators = Mediator.objects.filter(community__in=near)
        else:  # an organisation's member: the few disputes assigned to it
            panels = PanelMember.objects.filter(dispute__in=Dispute.objects.visible_to(user))
            mediators = Mediator.objects.filter(pk__in=panels.values("mediator_id"))
        self.filters["mediator"].queryset = mediators.order_by("name", "pk")

    def by_mediator(self, queryset, name, value):
        return queryset.filter(panel__mediator=value)

    def by_overdue(self, queryset, name, value):
        now = timezone.now()
        open_ = queryset.filter(case__closed_at__isnull=True)
        if value:
            return open_.filter(case__due_at__lt=now)
        return queryset.exclude(pk__in=open_.filter(case__due_at__lt=now).values("pk"))


class ConcernFilter(django_filters.FilterSet):
    """The concerns register: still open, answered, or turned into a case."""

    STATES = [
        ("open", _("open")),
        (Concern.Status.ANSWERED, _("answered")),
        (Concern.Status.TURNED, _("turned into a case")),
    ]

    state = django_filters.ChoiceFilter(
        label=_("Show"), choices=STATES, method="by_state", empty_label=_("All")
    )

    class Meta:
        model = Concern
        fields = ["state"]

    def by_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(case__closed_at__isnull=True)
        return queryset.filter(case__status=value)
