"""Stages, checklist, objections and coordination meetings of an elevator project: the
two panels the project page includes (`stages_context`, `objections_context`) and the
pages their forms post to."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from housing.models import Household
from housing.services.registry import is_verified_owner
from portal.registry import case_url
from portal.roles import Action
from portal.scope import can, get_visible_or_404, may
from portal.services.attachments import PDF
from portal.views.accounts import form_error_from

from .. import stages as flow
from ..models import Meeting, Objection, Project, Stage
from ..services import objections as objection_services
from ..services import stages as stage_services

PROJECT_KIND = "elevators.project"
DOCUMENT_TYPES = f"image/jpeg,image/png,image/webp,{PDF}"


def project_url(pk: int) -> str:
    """The project page, where every form here returns to."""
    return reverse("elevators:project_detail", kwargs={"pk": pk})


def _projects():
    return Project.objects.select_related("case__community", "unit__building__estate")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


# --- Forms: they word field errors; the services enforce the rules --------------------------


class StageField(forms.ChoiceField):
    """Offers the moves allowed now but accepts any stage, so that the service words
    why a move is refused."""

    def valid_value(self, value):
        return value in Stage.values


class StageMoveForm(forms.Form):
    to = StageField(label=gettext_lazy("Move to"), choices=())
    on = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("The day the stage began; today when left empty."),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Shown on the project's public timeline."),
    )

    def __init__(self, *args, project: Project, resume_to: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [
            (stage, Stage(stage).label) for stage in flow.allowed_moves(project.stage, resume_to)
        ]


class ChecklistForm(forms.Form):
    code = forms.ChoiceField(
        label=gettext_lazy("Item"), choices=[(i.code, i.label) for i in flow.CHECKLIST]
    )
    done_on = forms.DateField(label=gettext_lazy("Done on"), widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)
    file = forms.FileField(
        label=gettext_lazy("Scan or photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_TYPES}),
        help_text=gettext_lazy("A PDF, JPEG, PNG or WEBP file; only staff see it."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"done_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ObjectionForm(forms.Form):
    household = forms.ModelChoiceField(
        label=gettext_lazy("Household"), queryset=Household.objects.none()
    )
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=Objection.Reason.choices)
    description = forms.CharField(
        label=gettext_lazy("What is the objection about?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = Household.objects.filter(
            pk__in=[h.pk for h in households]
        ).order_by("floor", "room_number")
        if len(households) == 1:
            self.fields["household"].initial = households[0].pk


def objection_label(objection: Objection) -> str:
    return f"{objection.household.room_number} · {objection.get_reason_display()}"


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Meeting.Kind.choices)
    held_at = forms.DateTimeField(
        label=gettext_lazy("When"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    attendees = forms.CharField(
        label=gettext_lazy("Who attended"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    minutes = forms.CharField(
        label=gettext_lazy("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    outcome = forms.CharField(
        label=gettext_lazy("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    resolved_objections = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Objections resolved at the meeting"),
        queryset=Objection.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["resolved_objections"]
        field.queryset = (
            Objection.objects.filter(project=project, status=Objection.Status.OPEN)
            .select_related("household")
            .order_by("raised_at", "pk")
        )
        field.label_from_instance = objection_label


# --- The stage panel ------------------------------------------------------------------------


def _stage_bar(project: Project, entered: dict, left: str | None) -> list[dict]:
    here = project.stage if project.stage in flow.ORDER else left
    position = flow.ORDER.index(here) if here in flow.ORDER else -1
    bar = []
    for index, stage in enumerate(flow.ORDER):
        state = "done" if index < position else "current" if index == position else "upcoming"
        bar.append(
            {
                "value": stage,
                "label": Stage(stage).label,
                "state": state,
                "date": entered.get(stage) if index <= position else None,
                "group": flow.counting_group(stage),
            }
        )
    return bar


def _checklist_rows(project: Project, recorded: dict) -> list[dict]:
    upcoming = flow.next_stage(project.stage)
    rows = []
    for requirement in flow.CHECKLIST:
        item = recorded.get(requirement.code)
        if requirement.before:
            when = _("before %(stage)s") % {"stage": Stage(requirement.before).label}
        else:
            when = _("after %(stage)s") % {"stage": Stage(requirement.after).label}
        rows.append(
            {
                "code": requirement.code,
                "label": requirement.label,
                "when": when,
                "item": item,
                "missing": item is None,
                "blocking": item is None and requirement.before == upcoming,
            }
        )
    return rows


def stages_context(project: Project, user) -> dict:
    """What the project page's stage panel (`elevators/_stages.html`) shows: the stage bar
    with its dates and counting group, the checklist, the public-notice countdown; and,
    for those who may change the project, the forms. Keys start with `stage_`,
    `checklist`, or `notice_` so they do not clash with the page's own."""
    today = timezone.localdate()
    entered = stage_services.stage_entered_on(project)
    halted = project.stage in (Stage.SUSPENDED, Stage.CANCELLED)
    left = stage_services.stage_left_for_suspension(project) if halted else None
    recorded = {
        item.code: item for item in project.checklist.select_related("attachment").order_by("code")
    }
    may_change = can(user, Action.CHANGE, project.case)
    notice_ends_on = (
        project.notice_starts_on + timedelta(days=flow.NOTICE_DAYS)
        if project.notice_starts_on
        else None
    )
    checklist = _checklist_rows(project, recorded)
    context = {
        "stage_bar": _stage_bar(project, entered, left),
        "stage_label": Stage(project.stage).label,
        "stage_group": flow.counting_group(project.stage),
        "stage_halted": halted,
        "stage_halted_on": entered.get(project.stage) if halted else None,
        "stage_left": Stage(left).label if left else None,
        "stage_may_change": may_change,
        "checklist": checklist,
        "checklist_blocking": [row for row in checklist if row["blocking"]],
        "notice_starts_on": project.notice_starts_on,
        "notice_ends_on": notice_ends_on,
        "notice_running": project.stage == Stage.PUBLIC_NOTICE,
        "notice_days_left": stage_services.notice_days_left(project, today)
        if project.stage == Stage.PUBLIC_NOTICE
        else None,
        "stage_form": None,
        "checklist_form": None,
    }
    if may_change:
        resume_to = left if project.stage == Stage.SUSPENDED else None
        moves = flow.allowed_moves(project.stage, resume_to)
        context.update(
            stage_form=StageMoveForm(project=project, resume_to=resume_to, auto_id="stage_%s")
            if moves
            else None,
            checklist_form=ChecklistForm(auto_id="checklist_%s")
            if project.stage != Stage.CANCELLED
            else None,
        )
    return context


# --- The objections panel --------------------------------------------------------------------


def households_for(user, project: Project):
    """The households of the unit `user` may object for: all of them for staff who may
    change the project, the ones they own for verified owners."""
    households = Household.objects.filter(unit_id=project.unit_id).order_by("floor", "room_number")
    if can(user, Action.CHANGE, project.case):
        return list(households)
    bound = Household.objects.bound_to(user).filter(unit_id=project.unit_id)
    return [h for h in bound.order_by("floor", "room_number") if is_verified_owner(user, h)]


def objections_context(project: Project, user) -> dict:
    """What the project page's objections panel (`elevators/_objections.html`) shows.
    Staff who may change the project see who objects and why, the meetings in full and
    get the resolve / hand-over buttons; everyone else sees the reasons, the low-floor
    flags and the outcomes, and the details of their own households' objections only.
    Verified owners in the unit get the "how to object" form."""
    staff = can(user, Action.CHANGE, project.case)
    own = set()
    if not staff and getattr(user, "is_authenticated", False):
        own = set(
            Household.objects.bound_to(user)
            .filter(unit_id=project.unit_id)
            .values_list("pk", flat=True)
        )
    objections = list(
        project.objections.select_related("household", "dispute_case").order_by("raised_at", "pk")
    )
    rows = [
        {
            "objection": objection,
            "household": objection.household.room_number
            if staff or objection.household_id in own
            else _("another household"),
            "details": staff or objection.household_id in own,
            "dispute_url": case_url(objection.dispute_case)
            if staff and objection.dispute_case_id
            else "",
        }
        for objection in objections
    ]
    meetings = list(
        project.meetings.prefetch_related("resolved_objections").order_by("held_at", "pk")
    )
    households = [] if staff else households_for(user, project)
    live = project.stage not in (Stage.CANCELLED, Stage.IN_USE)
    return {
        "objections": rows,
        "objections_open": sum(o.status == Objection.Status.OPEN for o in objections),
        "objection_meetings": meetings,
        "objections_staff": staff,
        "objection_may_hand_over": staff and objection_services.may_hand_over(user, project),
        "objection_form": ObjectionForm(households=households, auto_id="objection_%s")
        if households and live
        else None,
        "objection_staff_form": staff and live,
    }


# --- Pages --------------------------------------------------------------------------------


class ProjectChangeMixin:
    """For those who may change elevator projects (403 for the rest); projects out of
    their reach answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, Action.CHANGE, PROJECT_KIND):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = get_visible_or_404(
                _projects(), self.request.user, Action.CHANGE, pk=self.kwargs["pk"]
            )
        return self._project

    def get_context_data(self, **kwargs):
        project = self.get_project()
        return super().get_context_data(
            project=project, project_url=project_url(project.pk), **kwargs
        )


class ProjectFormView(ProjectChangeMixin, FormView):
    """A form whose valid data goes to one service call; its errors keep the page."""

    success_message = gettext_lazy("Saved.")

    def form_valid(self, form):
        try:
            self.act(form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(project_url(self.get_project().pk))


class StageMoveView(ProjectFormView):
    http_method_names = ["post"]
    template_name = "elevators/stages/stage_form.html"
    form_class = StageMoveForm
    success_message = gettext_lazy("The project has moved on.")

    def get_form_kwargs(self):
        project = self.get_project()
        resume_to = (
            stage_services.stage_left_for_suspension(project)
            if project.stage == Stage.SUSPENDED
            else None
        )
        return {**super().get_form_kwargs(), "project": project, "resume_to": resume_to}

    def act(self, data):
        stage_services.stage_move(
            actor=self.request.user,
            project=self.get_project(),
            to=data["to"],
            note=data["note"],
            on=data["on"],
        )


class ChecklistView(ProjectFormView):
    http_method_names = ["post"]
    template_name = "elevators/stages/checklist_form.html"
    form_class = ChecklistForm
    success_message = gettext_lazy("The checklist item is recorded.")

    def act(self, data):
        stage_services.checklist_record(
            actor=self.request.user,
            project=self.get_project(),
            code=data["code"],
            done_on=data["done_on"],
            note=data["note"],
            upload=data["file"],
        )


class MeetingNewView(ProjectFormView):
    template_name = "elevators/stages/meeting_form.html"
    form_class = MeetingForm
    success_message = gettext_lazy("The meeting is recorded.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "project": self.get_project()}

    def get_initial(self):
        return {"held_at": timezone.localtime().replace(second=0, microsecond=0)}

    def act(self, data):
        objection_services.meeting_record(
            actor=self.request.user,
            project=self.get_project(),
            kind=data["kind"],
            held_at=data["held_at"],
            attendees=data["attendees"],
            minutes=data["minutes"],
            outcome=data["outcome"],
            resolved_objections=list(data["resolved_objections"]),
        )


class ObjectView(FormView):
    """How to object: a verified owner for their household, or staff on a household's
    behalf. Others who see the project get 403; the rest 404."""

    template_name = "elevators/stages/objection_form.html"
    form_class = ObjectionForm

    def dispatch(self, request, *args, **kwargs):
        self.project = get_visible_or_404(_projects(), request.user, pk=kwargs["pk"])
        self.households = households_for(request.user, self.project)
        if not self.households:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "households": self.households}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            project=self.project, project_url=project_url(self.project.pk), **kwargs
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            objection_services.objection_raise(
                user=self.request.user,
                project=self.project,
                household=data["household"],
                reason=data["reason"],
                description=data["description"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Your objection is recorded; the community will contact you.")
        )
        return redirect(project_url(self.project.pk))


class ObjectionActionView(View):
    """POST only: one action on an objection of a project the user may change."""

    http_method_names = ["post"]

    def post(self, request, pk):
        if not may(request.user, Action.CHANGE, PROJECT_KIND):
            raise PermissionDenied
        objection = get_object_or_404(
            Objection.objects.filter(
                project__in=Project.objects.visible_to(request.user, Action.CHANGE)
            ),
            pk=pk,
        )
        try:
            message = self.act(objection)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, message)
        return redirect(project_url(objection.project_id))


class ObjectionResolveView(ObjectionActionView):
    def act(self, objection):
        objection_services.objection_resolve(actor=self.request.user, objection=objection)
        return _("The objection is marked resolved.")


class ObjectionDisputeView(ObjectionActionView):
    def act(self, objection):
        dispute = objection_services.objection_to_dispute(
            actor=self.request.user, objection=objection
        )
        return _("The objection is handed to the clinic as dispute %(reference)s.") % {
            "reference": dispute.reference
        }
