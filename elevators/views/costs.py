"""Cost sharing pages: setting and agreeing a schedule, compensation to a household, the
printable schedule; and `costs_context` for the project page's cost panel."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from housing.models import Household
from portal.querysets import sees_internal
from portal.roles import Action
from portal.scope import can, get_visible_or_404, may
from portal.views.accounts import form_error_from

from ..models import CostSchedule, Project
from ..services import costs as services

KIND = "elevators.project"
PRINT_LANGUAGE = "zh-hans"
ROUNDING_RULE = gettext_lazy(
    "Each share is rounded down to the fen; the fen left over go one each to the "
    "households with the largest remainders, ties to the higher floor, then to the "
    "household registered first. The shares add up to the amount exactly."
)


def project_url(pk: int) -> str:
    """The project page, where every cost form returns to."""
    return reverse("elevators:project_detail", kwargs={"pk": pk})


def _kind_label(kind: str) -> str:
    return CostSchedule.Kind(kind).label


# --- Forms: they word field errors; the services enforce the rules --------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def coefficient_field_name(floor: int) -> str:
    return f"floor_{floor}"


class ScheduleForm(forms.Form):
    """The amount and one coefficient per floor of the unit."""

    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"), max_digits=12, decimal_places=2, min_value=0
    )

    def __init__(self, *args, floors: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.floors = floors
        for floor in floors:
            self.fields[coefficient_field_name(floor)] = forms.DecimalField(
                label=gettext_lazy("Coefficient, floor %(floor)s") % {"floor": floor},
                max_digits=6,
                decimal_places=3,
                min_value=0,
            )

    def coefficients(self) -> dict[int, Decimal]:
        return {f: self.cleaned_data[coefficient_field_name(f)] for f in self.floors}

    def coefficient_fields(self):
        return [self[coefficient_field_name(f)] for f in self.floors]


class AgreeForm(forms.Form):
    agreed_on = forms.DateField(label=gettext_lazy("Agreed on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"agreed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RoomChoiceField(forms.ModelChoiceField):
    """Households of one unit, named by their room number (no query per option)."""

    def label_from_instance(self, obj):
        return obj.room_number


class CompensationForm(forms.Form):
    household = RoomChoiceField(label=gettext_lazy("Household"), queryset=Household.objects.none())
    amount = forms.DecimalField(
        label=gettext_lazy("Compensation (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=gettext_lazy("Added to the construction cost the paying households share."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = Household.objects.filter(
            unit_id=project.unit_id
        ).order_by("floor", "room_number")


# --- The cost panel of the project page ----------------------------------------------------


def costs_context(project: Project, user) -> dict:
    """What the project page's cost panel (`elevators/_costs.html`) shows. Staff and
    officials whose area covers the project see every schedule with every line and the
    compensations; anyone else (a resident) sees only their own household's line with its
    formula, and each schedule's total; those who may change the project get forms."""
    sees_all = sees_internal(user, project.case)
    may_edit = can(user, Action.CHANGE, project)
    schedules, households, compensations = services.project_schedules(project)
    by_id = {h.pk: h for h in households}
    own: set[int] = set()
    if not sees_all:
        own = set(
            Household.objects.bound_to(user)
            .filter(unit_id=project.unit_id)
            .values_list("pk", flat=True)
        )
    panels = []
    for item in schedules:
        kind = item.schedule.kind
        lines = [
            (line, by_id[line.household_id])
            for line in item.lines
            if sees_all or line.household_id in own
        ]
        panels.append(
            {
                "schedule": item.schedule,
                "label": _kind_label(kind),
                "amount_to_share": item.amount_to_share,
                "problem": item.problem,
                "lines": lines,
                "total": sum((line.amount for line in item.lines), Decimal(0)),
                "paying": sum(1 for line in item.lines if line.amount > 0),
                "edit_url": reverse("elevators:schedule_set", args=[project.pk, kind]),
                "agree_url": reverse("elevators:schedule_agree", args=[project.pk, kind]),
                "print_url": reverse("elevators:schedule_print", args=[project.pk, kind]),
            }
        )
    present = {item.schedule.kind for item in schedules}
    context = {
        "cost_schedules": panels,
        "cost_sees_all": sees_all,
        "cost_own_households": [by_id[pk] for pk in sorted(own) if pk in by_id],
        "cost_compensations": compensations if sees_all else [],
        "cost_rounding_rule": ROUNDING_RULE,
        "may_edit_costs": may_edit,
        "cost_missing_kinds": [],
    }
    if may_edit:
        context.update(
            cost_missing_kinds=[
                (
                    kind.label,
                    reverse("elevators:schedule_set", args=[project.pk, kind.value]),
                )
                for kind in CostSchedule.Kind
                if kind.value not in present
            ],
            cost_agree_form=AgreeForm(auto_id="cost_agree_%s"),
            compensation_form=CompensationForm(project=project, auto_id="compensation_%s"),
        )
    return context


# --- Pages that change the costs --------------------------------------------------------


class CostChangeMixin:
    """For those who may change projects (403 for the rest); others' projects answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, Action.CHANGE, KIND):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = get_visible_or_404(
                Project.objects.select_related("case__community", "unit__building__estate"),
                self.request.user,
                Action.CHANGE,
                pk=self.kwargs["pk"],
            )
        return self._project

    def get_kind(self) -> str:
        kind = self.kwargs.get("kind", "")
        if kind not in CostSchedule.Kind.values:
            raise Http404
        return kind

    def get_context_data(self, **kwargs):
        project = self.get_project()
        return super().get_context_data(
            project=project, project_url=project_url(project.pk), **kwargs
        )


class ScheduleSetView(CostChangeMixin, FormView):
    """Set a schedule's amount and floor coefficients (defaults from the area's rules)."""

    template_name = "elevators/costs/schedule_form.html"
    form_class = ScheduleForm

    def get_schedule(self) -> CostSchedule | None:
        return CostSchedule.objects.filter(project=self.get_project(), kind=self.get_kind()).first()

    def get_form_kwargs(self):
        project, schedule = self.get_project(), self.get_schedule()
        households = Household.objects.filter(unit_id=project.unit_id).values_list(
            "pk", "floor", "area_m2"
        )
        floors = services.unit_floors(project, list(households))
        if schedule is not None:
            coefficients, amount = services.coefficients_of(schedule), schedule.amount
        else:
            coefficients = services.default_coefficients(project)
            amount = (
                project.total_cost if self.get_kind() == CostSchedule.Kind.CONSTRUCTION else None
            )
        initial = {"amount": amount}
        initial.update(
            {coefficient_field_name(f): coefficients.get(f) for f in floors if f in coefficients}
        )
        return {**super().get_form_kwargs(), "floors": floors, "initial": initial}

    def get_context_data(self, **kwargs):
        kind = self.get_kind()
        return super().get_context_data(
            kind=kind,
            kind_label=_kind_label(kind),
            schedule=self.get_schedule(),
            subsidy=self.get_project().subsidy,
            is_construction=kind == CostSchedule.Kind.CONSTRUCTION,
            **kwargs,
        )

    def form_valid(self, form):
        project = self.get_project()
        try:
            services.schedule_set(
                actor=self.request.user,
                project=project,
                kind=self.get_kind(),
                amount=form.cleaned_data["amount"],
                coefficients=form.coefficients(),
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The cost schedule is saved."))
        return redirect(project_url(project.pk))


class ScheduleAgreeView(CostChangeMixin, FormView):
    """POST only: the day the households agreed a schedule."""

    http_method_names = ["post"]
    template_name = "elevators/costs/agree_form.html"
    form_class = AgreeForm

    def get_schedule(self) -> CostSchedule:
        schedule = CostSchedule.objects.filter(
            project=self.get_project(), kind=self.get_kind()
        ).first()
        if schedule is None:
            raise Http404
        return schedule

    def get_context_data(self, **kwargs):
        return super().get_context_data(kind_label=_kind_label(self.get_kind()), **kwargs)

    def form_valid(self, form):
        schedule = self.get_schedule()
        try:
            services.schedule_agree(actor=self.request.user, schedule=schedule, **form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The agreement is recorded."))
        return redirect(project_url(self.get_project().pk))


class CompensationSetView(CostChangeMixin, FormView):
    """Record the compensation agreed for a household of the unit."""

    template_name = "elevators/costs/compensation_form.html"
    form_class = CompensationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "project": self.get_project()}

    def form_valid(self, form):
        project = self.get_project()
        try:
            services.compensation_set(actor=self.request.user, project=project, **form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The compensation is recorded."))
        return redirect(project_url(project.pk))


# --- The printable schedule --------------------------------------------------------------


class SchedulePrintView(TemplateView):
    """A schedule's full table for posting: staff and officials over the project's area
    (a resident who reaches the project gets 403); Chinese unless `?lang=en`."""

    template_name = "elevators/costs/schedule_print.html"

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, Action.VIEW, KIND):
            raise PermissionDenied
        project = get_visible_or_404(
            Project.objects.select_related("case__community", "unit__building__estate"),
            request.user,
            pk=kwargs["pk"],
        )
        if not sees_internal(request.user, project.case):
            raise PermissionDenied
        if kwargs["kind"] not in CostSchedule.Kind.values:
            raise Http404
        self.project = project
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        language = request.GET.get("lang") or PRINT_LANGUAGE
        if language not in dict(settings.LANGUAGES):
            language = PRINT_LANGUAGE
        with translation.override(language):
            response = super().get(request, *args, **kwargs)
            response.render()
        response["Content-Language"] = language
        return response

    def get_context_data(self, **kwargs):
        project, kind = self.project, self.kwargs["kind"]
        schedules, households, _compensations = services.project_schedules(project)
        item = next((s for s in schedules if s.schedule.kind == kind), None)
        if item is None:
            raise Http404
        by_id = {h.pk: h for h in households}
        return super().get_context_data(
            project=project,
            item=item,
            kind_label=_kind_label(kind),
            lines=[(line, by_id[line.household_id]) for line in item.lines],
            total=sum((line.amount for line in item.lines), Decimal(0)),
            rounding_rule=ROUNDING_RULE,
            printed_on=timezone.localdate(),
            project_url=project_url(project.pk),
            **kwargs,
        )


__all__ = [
    "CompensationSetView",
    "ROUNDING_RULE",
    "ScheduleAgreeView",
    "SchedulePrintView",
    "ScheduleSetView",
    "costs_context",
    "project_url",
]
