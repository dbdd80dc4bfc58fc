"""Home adaptation pages: the queue for staff and officers, the case page with its stage
actions and the plan builder, and the application form for residents and staff."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView

from housing.models import Person
from housing.services.registry import may_see_sensitive_at, record_sensitive_opening
from portal.models import Area, Organisation
from portal.paging import CASE_QUEUE_SEGMENTS, keyset_page
from portal.querysets import sees_internal
from portal.roles import Action, OrganisationType
from portal.rules import ancestor_paths
from portal.scope import (
    active_memberships,
    get_visible_or_404,
    near_paths_q,
    reach,
    under_paths_q,
)
from portal.views.accounts import form_error_from

from ..forms.adaptations import (
    AcceptForm,
    AdaptationFilter,
    AssessForm,
    NoteForm,
    PayForm,
    PlanForm,
    RejectForm,
    ResidentApplyForm,
    StaffApplyForm,
    SurveyForm,
    WorksForm,
)
from ..models import Adaptation, AdaptationArea, AdaptationStage, Eligibility, Exclusion
from ..services import adaptations as services

KIND = services.KIND
Stage = AdaptationStage


def detail_url(pk) -> str:
    return reverse("eldercare:adaptation_detail", kwargs={"pk": pk})


def sensitive_q(user, prefix: str = "case__community__"):
    """Rows in communities where `user` may see eligibility; None when nowhere.

    Built from the same rule as `may_see_sensitive_at`, asked of each membership's area.
    """
    if user.is_superuser:
        return Q()
    paths = {
        m.area.path
        for m in active_memberships(user)
        if m.area is not None and may_see_sensitive_at(user, m.area)
    }
    if not paths:
        return None
    return under_paths_q(paths, f"{prefix}path")


def contractors_near(community: Area):
    """Contractors placed at the community or anywhere above it (a county's tendered
    builders serve all its communities)."""
    return Organisation.objects.filter(
        type=OrganisationType.CONTRACTOR, area__path__in=ancestor_paths(community)
    ).order_by("name")


# --- The queue -------------------------------------------------------------------------------


def queue_contractors(user):
    """The contractors the queue offers to filter by: those placed in the areas where the
    user sees adaptations or above them, the builders the works form offers there
    (`contractors_near`), and the user's own organisations. Read from the organisations,
    not from the contractor of every visible adaptation: that would cost a city a full
    scan. Not `Organisation.objects.visible_to`: it reaches only down the tree (a
    community's staff would lose the county's builders) and not at all for eldercare
    officers."""
    contractors = Organisation.objects.filter(type=OrganisationType.CONTRACTOR)
    r = reach(user, KIND, Action.VIEW)
    if not r.everything:
        q = Q(pk__in=r.organisation_ids)  # a contractor's member sees the homes it works on
        if r.area_paths:
            q |= near_paths_q(r.area_paths, "area__path")
        contractors = contractors.filter(q)
    return contractors.order_by("name", "pk")


class AdaptationListView(FilterView):
    """The adaptation queue: households in scope by stage, with due dates and money."""

    template_name = "eldercare/adaptations/list.html"
    filterset_class = AdaptationFilter
    per_page = 25

    def dispatch(self, request, *args, **kwargs):
        if not services.works_the_queue(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # The kind is implied by the join; naming it lets the database use the case
        # table's per-kind keyset indexes.
        return (
            Adaptation.objects.visible_to(self.request.user)
            .filter(case__kind=KIND)
            .select_related(
                "case__community", "household__unit__building__estate", "elder", "contractor"
            )
        )

    def get_filterset_kwargs(self, filterset_class):
        user = self.request.user
        return {
            **super().get_filterset_kwargs(filterset_class),
            "contractors": queue_contractors(user),
            "sensitive_q": sensitive_q(user),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        page = keyset_page(
            context["object_list"],
            CASE_QUEUE_SEGMENTS,
            self.request.GET.get("after"),
            self.per_page,
        )
        rows = page.object_list
        eligibility = self.request.GET.get("eligibility")
        if "eligibility" in self.filterset.filters and eligibility in Eligibility.values:
            # Filtering by category reveals it for every row shown: logged like an opening.
            for adaptation in rows:
                record_sensitive_opening(
                    user=self.request.user,
                    target=f"eldercare.adaptation:{adaptation.pk}",
                    field="eligibility",
                )
        context.update(
            object_list=rows,
            keyset=page,
            rows=[(a, a.case.is_overdue(now)) for a in rows],
            may_apply=services.may_apply(self.request.user),
        )
        return context


# --- The case page ------------------------------------------------------------------------


def _adaptations():
    return Adaptation.objects.select_related(
        "case__community",
        "case__rule_set",
        "household__unit__building__estate",
        "elder",
        "contractor",
        "subsidy_rule_set",
        "catalogue_rule_set",
    )


def stage_bar(adaptation: Adaptation) -> list[dict]:
    position = services.ORDER.index(adaptation.stage) if adaptation.stage in services.ORDER else -1
    return [
        {
            "label": Stage(stage).label,
            "state": "done" if i < position else "current" if i == position else "upcoming",
        }
        for i, stage in enumerate(services.ORDER)
    ]


def plan_groups(items) -> list[dict]:
    """Saved plan items grouped by the five areas, for reading."""
    groups = {area: [] for area in AdaptationArea}
    for item in items:
        groups.setdefault(item.area, []).append(item)
    return [
        {"label": AdaptationArea(area).label, "items": rows}
        for area, rows in groups.items()
        if rows and area in AdaptationArea.values
    ]


def action_forms(adaptation: Adaptation, user, bound: dict | None = None) -> dict:
    """The forms the stage allows, for staff; `bound` replaces one with the posted form."""
    bound = bound or {}
    stage = adaptation.stage
    staff = services.may_work_on(user, adaptation)
    forms = {}
    if staff and stage in (Stage.APPLIED, Stage.ASSESSED):
        initial = {
            f: getattr(adaptation, f)
            for f in (
                "capacity_level",
                "daily_living",
                "mental_state",
                "sensory",
                "social",
                "home_assessment",
            )
        }
        forms["assess_form"] = AssessForm(initial=initial, auto_id="assess_%s")
    if staff and stage in services.PLANNABLE:
        forms["plan_form"] = PlanForm(
            catalogue=services.catalogue_items(adaptation),
            items=list(adaptation.items.all()),
            auto_id="plan_%s",
        )
    if staff and stage == Stage.PLANNED:
        forms["approve_form"] = NoteForm(auto_id="approve_%s")
    if staff and stage == Stage.APPROVED:
        forms["works_form"] = WorksForm(
            contractors=contractors_near(adaptation.case.community), auto_id="works_%s"
        )
    if staff and stage == Stage.WORKS:
        forms["accept_form"] = AcceptForm(auto_id="accept_%s")
    if staff and stage == Stage.ACCEPTED:
        forms["pay_form"] = PayForm(auto_id="pay_%s")
    if staff and stage in services.REJECTABLE:
        forms["reject_form"] = RejectForm(auto_id="reject_%s")
    if services.may_survey(user, adaptation):
        forms["survey_form"] = SurveyForm(auto_id="survey_%s")
    forms.update(bound)
    return forms


def detail_context(adaptation: Adaptation, user, bound: dict | None = None) -> dict:
    case = adaptation.case
    internal = sees_internal(user, case)
    sensitive = may_see_sensitive_at(user, case.community)
    if sensitive:
        record_sensitive_opening(
            user=user, target=f"eldercare.adaptation:{adaptation.pk}", field="eligibility"
        )
    own = adaptation.elder.user_id == user.pk or case.filed_by_id == user.pk
    timeline = case.timeline.select_related("actor")
    attachments = case.attachments.all()
    if not internal:
        timeline = timeline.filter(is_public=True)
        attachments = attachments.filter(is_public=True)
    forms = action_forms(adaptation, user, bound)
    items = list(adaptation.items.all())
    plan_form = forms.get("plan_form")
    return {
        "adaptation": adaptation,
        "case": case,
        "internal": internal,
        "staff": services.may_work_on(user, adaptation),
        "sensitive": sensitive,
        "eligibility_label": Eligibility(adaptation.eligibility).label if sensitive else "",
        "elder_name": adaptation.elder.name if internal or own else adaptation.elder.masked_name,
        "stage_bar": stage_bar(adaptation),
        "overdue": case.is_overdue(),
        "plan_items": plan_groups(items),
        "plan_rows": plan_form.rows_by_area() if plan_form else [],
        "totals": services.plan_totals(items, adaptation.subsidy_cap),
        "timeline": timeline,
        "attachments": attachments,
        "exclusion_labels": [
            Exclusion(value).label for value in adaptation.exclusions if value in Exclusion.values
        ],
        **forms,
    }


class AdaptationDetailView(TemplateView):
    """One household's adaptation: stage, due date, plan and money for everyone who may
    see it; assessment, eligibility (logged) and the stage actions for staff."""

    template_name = "eldercare/adaptations/detail.html"

    def get_context_data(self, **kwargs):
        adaptation = get_visible_or_404(_adaptations(), self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(**detail_context(adaptation, self.request.user), **kwargs)


class AdaptationActionView(TemplateView):
    """POST one of the case page's forms to one service call; errors re-render the page
    with what was typed."""

    http_method_names = ["post"]
    template_name = "eldercare/adaptations/detail.html"
    form_name = ""
    action = Action.CHANGE
    success_message = ""

    def get_adaptation(self) -> Adaptation:
        return get_visible_or_404(
            _adaptations(), self.request.user, self.action, pk=self.kwargs["pk"]
        )

    def make_form(self, adaptation, data, files):
        raise NotImplementedError

    def act(self, adaptation, form):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        adaptation = self.get_adaptation()
        form = self.make_form(adaptation, request.POST, request.FILES)
        if form.is_valid():
            try:
                self.act(adaptation, form)
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, self.success_message)
                return redirect(detail_url(adaptation.pk))
        adaptation = self.get_adaptation()  # the stage as it is now, after a refusal
        context = detail_context(adaptation, request.user, {self.form_name: form})
        return self.render_to_response(self.get_context_data(**context))


class AssessView(AdaptationActionView):
    form_name = "assess_form"

    success_message = gettext_lazy("The assessment is recorded.")

    def make_form(self, adaptation, data, files):
        return AssessForm(data, files, auto_id="assess_%s")

    def act(self, adaptation, form):
        services.adaptation_assess(
            actor=self.request.user, adaptation=adaptation, **form.cleaned_data
        )


class PlanView(AdaptationActionView):
    form_name = "plan_form"

    success_message = gettext_lazy("The plan is saved.")

    def make_form(self, adaptation, data, files):
        return PlanForm(
            data,
            catalogue=services.catalogue_items(adaptation),
            items=list(adaptation.items.all()),
            auto_id="plan_%s",
        )

    def act(self, adaptation, form):
        services.adaptation_plan_save(
            actor=self.request.user, adaptation=adaptation, lines=form.lines()
        )


class ApproveView(AdaptationActionView):
    form_name = "approve_form"

    success_message = gettext_lazy("The plan is approved.")

    def make_form(self, adaptation, data, files):
        return NoteForm(data, auto_id="approve_%s")

    def act(self, adaptation, form):
        services.adaptation_approve(
            actor=self.request.user, adaptation=adaptation, note=form.cleaned_data["note"]
        )


class WorksView(AdaptationActionView):
    form_name = "works_form"

    success_message = gettext_lazy("The works are under way.")

    def make_form(self, adaptation, data, files):
        return WorksForm(
            data, contractors=contractors_near(adaptation.case.community), auto_id="works_%s"
        )

    def act(self, adaptation, form):
        services.adaptation_start_works(
            actor=self.request.user, adaptation=adaptation, **form.cleaned_data
        )


class AcceptView(AdaptationActionView):
    form_name = "accept_form"

    success_message = gettext_lazy("The works are accepted.")

    def make_form(self, adaptation, data, files):
        return AcceptForm(data, files, auto_id="accept_%s")

    def act(self, adaptation, form):
        services.adaptation_accept(
            actor=self.request.user, adaptation=adaptation, **form.cleaned_data
        )


class PayView(AdaptationActionView):
    form_name = "pay_form"

    success_message = gettext_lazy("The subsidy payment is recorded; the case is closed.")

    def make_form(self, adaptation, data, files):
        return PayForm(data, auto_id="pay_%s")

    def act(self, adaptation, form):
        services.adaptation_pay(actor=self.request.user, adaptation=adaptation, **form.cleaned_data)


class RejectView(AdaptationActionView):
    form_name = "reject_form"

    success_message = gettext_lazy("The application is rejected; the case is closed.")

    def make_form(self, adaptation, data, files):
        return RejectForm(data, auto_id="reject_%s")

    def act(self, adaptation, form):
        services.adaptation_reject(
            actor=self.request.user, adaptation=adaptation, reason=form.cleaned_data["reason"]
        )


class SurveyView(AdaptationActionView):
    form_name = "survey_form"
    action = Action.VIEW

    success_message = gettext_lazy("Thank you: the survey is recorded.")

    def make_form(self, adaptation, data, files):
        if not services.may_survey(self.request.user, adaptation):
            raise PermissionDenied
        return SurveyForm(data, auto_id="survey_%s")

    def act(self, adaptation, form):
        services.adaptation_survey(
            actor=self.request.user, adaptation=adaptation, **form.cleaned_data
        )


# --- Applying ---------------------------------------------------------------------------


class AdaptationApplyView(FormView):
    """Residents apply for themselves or family on record; staff and officers for an
    elder they look up by ID card number."""

    template_name = "eldercare/adaptations/apply.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not services.may_apply(user):
            raise PermissionDenied
        r = reach(user, KIND, Action.CREATE)
        self.as_staff = r.everything or bool(r.area_paths)
        self.homes = [] if self.as_staff else services.family_homes(user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return StaffApplyForm if self.as_staff else ResidentApplyForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.as_staff:
            kwargs["people"] = Person.objects.visible_to(self.request.user)
        else:
            kwargs["homes"] = self.homes
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            as_staff=self.as_staff, no_record=not self.as_staff and not self.homes, **kwargs
        )

    def post(self, request, *args, **kwargs):
        if not self.as_staff and not self.homes:
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def on_form_fields(self, form, error: ValidationError) -> ValidationError:
        """The service names the elder and the household; this form names them its own
        way, and a hidden field's error is shown above the form."""
        if not hasattr(error, "error_dict"):
            return error
        renamed = {"elder": "id_number" if self.as_staff else "elder_home"}
        if not self.as_staff:
            renamed["household"] = "elder_home"
        elif form.fields["household"].widget.is_hidden:
            renamed["household"] = NON_FIELD_ERRORS
        merged: dict[str, list] = {}
        for field, errors in error.error_dict.items():
            merged.setdefault(renamed.get(field, field), []).extend(errors)
        return ValidationError(merged)

    def form_valid(self, form):
        data = form.cleaned_data
        if self.as_staff:
            elder, household, applicant = form.elder, data["household"], data["applicant"]
        else:
            (elder, household), applicant = data["elder_home"], None
        try:
            adaptation = services.adaptation_apply(
                actor=self.request.user,
                elder=elder,
                household=household,
                eligibility=data["eligibility"],
                exclusions=data["exclusions"],
                applicant=applicant,
            )
        except ValidationError as error:
            form_error_from(form, self.on_form_fields(form, error))
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error(None, _("You may not apply for this elder's home."))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The application %(reference)s is filed; the community will visit the home.")
            % {"reference": adaptation.case.reference},
        )
        return redirect(detail_url(adaptation.pk))
