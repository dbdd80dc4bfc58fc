"""Project list, the project page (consent, stages, objections, costs) and starting one."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView, TemplateView

from housing.models import Unit
from portal.paging import Segment, keyset_page, pk_url
from portal.roles import Action, Role
from portal.scope import can, get_visible_or_404, may, reach, roles_of, under_paths_q
from portal.views.accounts import form_error_from

from ..models import IN_PREPARATION, IN_USE, UNDER_CONSTRUCTION, Project, Stage
from ..services import projects as services

KIND = "elevators.project"


def group_of(stage: str) -> str:
    if stage in IN_USE:
        return gettext_lazy("in use")
    if stage in UNDER_CONSTRUCTION:
        return gettext_lazy("under construction")
    if stage in IN_PREPARATION:
        return gettext_lazy("in preparation")
    return ""


# The list's order, newest first, as one keyset segment (portal/paging.py): the case
# table's per-kind index serves it, so a page deep in a city's projects costs what the
# first does. (Ordering by estate and unit would sort every project in reach per page.)
PROJECT_SEGMENTS = [Segment(Q(), "case__created_at", descending=True)]

# What a row of the list shows (the case's reference and mark, the unit's address); the
# rest of the project and its case stays unread.
ROW_FIELDS = [
    "stage",
    "total_cost",
    "unit__number",
    "unit__building__number",
    "unit__building__estate__name",
    *(
        f"case__{field}"
        for field in (
            "reference",
            "created_at",
            "due_at",
            "escalated_at",
            "supervised_at",
            "closed_at",
        )
    ),
]


class ProjectListView(ListView):
    """Projects in scope, newest first, with their stage and counting group."""

    template_name = "elevators/project_list.html"
    per_page = 25

    def dispatch(self, request, *args, **kwargs):
        if not (
            request.user.is_superuser
            or (roles_of(request.user) - {Role.RESIDENT} and may(request.user, Action.VIEW, KIND))
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # The kind is implied by the join; naming it lets the database use the case
        # table's per-kind index.
        projects = (
            Project.objects.visible_to(self.request.user)
            .filter(case__kind=KIND)
            .select_related("case", "unit__building__estate")
            .only(*ROW_FIELDS)
        )
        if stage := self.request.GET.get("stage"):
            projects = projects.filter(stage=stage)
        return projects

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = keyset_page(
            context["object_list"], PROJECT_SEGMENTS, self.request.GET.get("after"), self.per_page
        )
        context["object_list"] = page.object_list
        context["keyset"] = page
        url = pk_url("elevators:project_detail")
        context["rows"] = [(p, group_of(p.stage), url(p.pk)) for p in page.object_list]
        context["stages"] = Stage.choices
        context["may_start"] = may(self.request.user, Action.CREATE, KIND)
        return context


class ProjectDetailView(TemplateView):
    """One unit's project: stage and checklist, consent, objections, cost sharing."""

    template_name = "elevators/project_detail.html"

    def get_context_data(self, **kwargs):
        from .consent import consent_context
        from .costs import costs_context
        from .stages import objections_context, stages_context

        user = self.request.user
        project = get_visible_or_404(
            Project.objects.select_related(
                "case__community", "unit__building__estate", "initiator"
            ),
            user,
            pk=self.kwargs["pk"],
        )
        return super().get_context_data(
            project=project,
            group=group_of(project.stage),
            may_change=can(user, Action.CHANGE, project.case),
            **consent_context(project, user),
            **stages_context(project, user),
            **objections_context(project, user),
            **costs_context(project, user),
            **kwargs,
        )


class StartForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none())
    implementing_body = forms.CharField(
        label=gettext_lazy("Implementing body"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "An owners' representative, an elevator company, the property company…"
        ),
    )
    total_cost = forms.DecimalField(
        label=gettext_lazy("Estimated total cost (yuan)"),
        max_digits=12,
        decimal_places=2,
        required=False,
        min_value=0,
    )
    subsidy = forms.DecimalField(
        label=gettext_lazy("Subsidy (yuan)"),
        max_digits=12,
        decimal_places=2,
        required=False,
        min_value=0,
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.select_related("building__estate")


class ProjectStartView(FormView):
    """A verified owner starts an intent for their unit; staff may open one for any unit
    of their community."""

    template_name = "elevators/project_form.html"
    form_class = StartForm

    def units(self):
        user = self.request.user
        own = services.owned_units(user)
        r = reach(user, KIND, Action.CREATE)
        if r.everything:
            return Unit.objects.all()
        staff = (
            Unit.objects.filter(under_paths_q(r.area_paths, "building__estate__community__path"))
            if r.area_paths
            else Unit.objects.none()
        )
        return (
            (own | staff)
            .distinct()
            .order_by("building__estate__name", "building__number", "number")
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "units": self.units()}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            project = services.project_start(
                actor=self.request.user,
                unit=data["unit"],
                implementing_body=data["implementing_body"],
                total_cost=data["total_cost"],
                subsidy=data["subsidy"] or 0,
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("unit", _("You may not start a project for this unit."))
            return self.form_invalid(form)
        messages.success(self.request, _("The project is started; you are its initiator."))
        return redirect("elevators:project_detail", pk=project.pk)
