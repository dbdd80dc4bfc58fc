"""Facility list and page with the daily service log, registering and editing facilities,
and the public meal-point finder."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Q, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView

from portal.models import Area
from portal.querysets import area_labels
from portal.roles import Action, OrganisationType, Role
from portal.scope import can, get_visible_or_404, may, member_of, roles_of
from portal.views.accounts import form_error_from

from ..forms.facilities import FacilityFilter, FacilityForm, MealPointFinderForm, ServiceLogForm
from ..models import Facility
from ..services import facilities as services

KIND = services.KIND


def may_list(user) -> bool:
    """Staff, officers and operators' members; residents use the meal-point finder."""
    return user.is_superuser or bool(
        roles_of(user) - {Role.RESIDENT} and may(user, Action.VIEW, KIND)
    )


OPERATOR_TYPES = frozenset({OrganisationType.CARE_INSTITUTION, OrganisationType.OTHER})


def in_nav(user) -> bool:
    """The navigation shows the list to staff and officers, and to the members of the
    kinds of organisation that run facilities (care institutions, companies): decided
    from the memberships already loaded, so the navigation costs no query."""
    if not may_list(user):
        return False
    if user.is_superuser or roles_of(user) - {Role.ORGANISATION_MEMBER}:
        return True
    return member_of(user, OPERATOR_TYPES)


class FacilityListView(FilterView):
    """Facilities in scope with their last log and the last 30 days' meals."""

    template_name = "eldercare/facilities/facility_list.html"
    filterset_class = FacilityFilter
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if not may_list(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        since = timezone.localdate() - timedelta(days=services.RECENT_DAYS - 1)
        recent = Q(logs__date__gte=since)
        return (
            Facility.objects.visible_to(self.request.user)
            .select_related("community", "operator")
            .annotate(
                last_log_on=Max("logs__date"),
                recent_meals=Coalesce(Sum("logs__meals_dine_in", filter=recent), 0)
                + Coalesce(Sum("logs__meals_delivered", filter=recent), 0),
            )
            .order_by("community__path", "name", "pk")
        )

    def get_filterset_kwargs(self, filterset_class):
        visible = Facility.objects.visible_to(self.request.user)
        communities = Area.objects.filter(pk__in=visible.values("community_id")).order_by("path")
        return {**super().get_filterset_kwargs(filterset_class), "communities": communities}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_create"] = services.may_create_somewhere(self.request.user)
        return context


def detail_context(facility: Facility, user, log_form=None) -> dict:
    today = timezone.localdate()
    may_log = can(user, Action.CHANGE, facility)
    return {
        "facility": facility,
        "community_label": area_labels([facility.community]).get(facility.community_id),
        "service_labels": services.service_labels(facility.services),
        "may_manage": services.may_manage(user, facility),
        "may_log": may_log,
        "log_form": (log_form or ServiceLogForm()) if may_log else None,
        **services.facility_summary(facility, today=today),
    }


def visible_facility(user, pk):
    return get_visible_or_404(Facility.objects.select_related("community", "operator"), user, pk=pk)


class FacilityDetailView(TemplateView):
    """A facility: its details, the quick daily log and the last 30 days of service."""

    template_name = "eldercare/facilities/facility_detail.html"

    def get_context_data(self, **kwargs):
        facility = visible_facility(self.request.user, self.kwargs["pk"])
        return super().get_context_data(**detail_context(facility, self.request.user), **kwargs)


class FacilityLogView(View):
    """POST: one day's service counts; the same day again updates that day."""

    def post(self, request, pk):
        facility = visible_facility(request.user, pk)
        if not can(request.user, Action.CHANGE, facility):
            raise PermissionDenied
        form = ServiceLogForm(request.POST)
        if form.is_valid():
            try:
                _log, created = services.service_log_record(
                    actor=request.user, facility=facility, **form.cleaned_data
                )
            except ValidationError as error:
                form_error_from(form, error)
            else:
                day = date_format(form.cleaned_data["date"], "Y-m-d")
                messages.success(
                    request,
                    (
                        _("The service log for %(day)s is saved.")
                        if created
                        else _("The service log for %(day)s is updated.")
                    )
                    % {"day": day},
                )
                return redirect("eldercare:facility_detail", pk=facility.pk)
        return render(
            request,
            FacilityDetailView.template_name,
            detail_context(facility, request.user, log_form=form),
        )


class FacilityCreateView(FormView):
    template_name = "eldercare/facilities/facility_form.html"
    form_class = FacilityForm

    def dispatch(self, request, *args, **kwargs):
        if not services.may_create_somewhere(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "communities": services.facility_communities(user),
            "operators": services.facility_operators(user),
        }

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            facility = services.facility_create(actor=self.request.user, **data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("community", _("You may not register a facility in this community."))
            return self.form_invalid(form)
        messages.success(self.request, _("The facility is registered."))
        return redirect("eldercare:facility_detail", pk=facility.pk)


class FacilityEditView(FacilityCreateView):
    def dispatch(self, request, *args, **kwargs):
        self.facility = visible_facility(request.user, kwargs["pk"])
        if not services.may_manage(request.user, self.facility):
            raise PermissionDenied
        return FormView.dispatch(self, request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.facility}

    def get_context_data(self, **kwargs):
        return super().get_context_data(facility=self.facility, **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            facility = services.facility_update(
                actor=self.request.user, facility=self.facility, **data
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The facility is saved."))
        return redirect("eldercare:facility_detail", pk=facility.pk)


@method_decorator(login_not_required, name="dispatch")
class MealPointsView(TemplateView):
    """Public: meal points and canteens in service, by county, town or community.
    Facilities' public facts only: no people, no personal data."""

    template_name = "eldercare/facilities/meal_points.html"
    paginate_by = 20

    def get_context_data(self, **kwargs):
        options = services.meal_point_areas()
        form = MealPointFinderForm(self.request.GET or None, options=options)
        area = form.chosen_area() if form.is_bound and form.is_valid() else None
        points = (
            services.meal_points(area)
            .select_related("community")
            .order_by("community__path", "name", "pk")
        )
        page = Paginator(points, self.paginate_by).get_page(self.request.GET.get("page"))
        rows = [(f, services.service_labels(f.services)) for f in page.object_list]
        return super().get_context_data(form=form, area=area, page_obj=page, rows=rows, **kwargs)
