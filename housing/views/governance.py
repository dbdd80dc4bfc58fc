"""Estate governance pages: management mode, the 1+3+N roster, property companies and
their service reviews; and `governance_context` for the estate page's governance panel."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Avg, Count, F, FloatField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView, TemplateView

from portal.models import FollowUp, Organisation
from portal.roles import Action, OrganisationType
from portal.scope import can, get_visible_or_404, may
from portal.views.accounts import form_error_from

from .. import governance
from ..models import (
    Building,
    Estate,
    ManagementMode,
    ModeChange,
    Person,
    PropertyReview,
    RosterEntry,
    RosterRole,
)
from ..querysets import count_of
from ..services import governance as services

ESTATE_KIND = "housing.estate"
SCORES = ("security", "cleaning", "maintenance", "responsiveness")
RECENT_REVIEWS = 5


def estate_detail_url(estate_pk: int) -> str:
    """The estate page, where every governance form returns to."""
    return reverse("housing:estate_detail", kwargs={"pk": estate_pk})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def property_companies_near(community):
    return governance.organisations_near(community).filter(type=OrganisationType.PROPERTY_COMPANY)


# --- Forms: they word field errors; the services enforce the rules --------------------------


class ModeForm(forms.Form):
    mode = forms.ChoiceField(label=gettext_lazy("Management mode"), choices=ManagementMode.choices)
    changed_on = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Why this mode suits the estate now; kept in the mode history."),
    )

    def __init__(self, *args, estate: Estate, **kwargs):
        kwargs.setdefault(
            "initial", {"mode": estate.management_mode, "changed_on": timezone.localdate()}
        )
        super().__init__(*args, **kwargs)


class RosterForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=RosterRole.choices)
    person = forms.ModelChoiceField(
        label=gettext_lazy("Resident on file"),
        queryset=Person.objects.none(),
        required=False,
        help_text=gettext_lazy("A resident of this estate."),
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none(), required=False
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Only when neither a resident on file nor an organisation."),
    )
    building = forms.ModelChoiceField(
        label=gettext_lazy("Building"),
        queryset=Building.objects.none(),
        required=False,
        help_text=gettext_lazy("For a building head only."),
    )
    started_on = forms.DateField(label=gettext_lazy("Since"), widget=DateInput())

    def __init__(self, *args, estate: Estate, user, **kwargs):
        kwargs.setdefault("initial", {"started_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = (
            Person.objects.visible_to(user)
            .filter(residences__household__unit__building__estate=estate)
            .distinct()
            .order_by("name", "pk")
        )
        self.fields["organisation"].queryset = governance.organisations_near(
            estate.community
        ).order_by("name")
        self.fields["building"].queryset = estate.buildings.order_by("number")


class RosterEndForm(forms.Form):
    ended_on = forms.DateField(label=gettext_lazy("Until"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ReviewForm(forms.Form):
    company = forms.ModelChoiceField(
        label=gettext_lazy("Property company"), queryset=Organisation.objects.none()
    )
    reviewed_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    security = forms.IntegerField(label=gettext_lazy("Security"))
    cleaning = forms.IntegerField(label=gettext_lazy("Cleaning"))
    maintenance = forms.IntegerField(label=gettext_lazy("Maintenance"))
    responsiveness = forms.IntegerField(label=gettext_lazy("Responsiveness"))
    problems_raised = forms.CharField(
        label=gettext_lazy("Problems the company raised"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    help_given = forms.CharField(
        label=gettext_lazy("Help given"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, estate: Estate, **kwargs):
        kwargs.setdefault(
            "initial",
            {"company": estate.property_company_id, "reviewed_on": timezone.localdate()},
        )
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = property_companies_near(estate.community).order_by("name")
        for name in SCORES:
            self.fields[name].widget.attrs.update({"min": 1, "max": 5})
            self.fields[name].help_text = gettext_lazy("1 (poor) to 5 (very good)")

    def clean(self):
        cleaned = super().clean()
        # Worded here too, so a wrong score shows together with the other mistakes.
        scores = {name: cleaned[name] for name in SCORES if cleaned.get(name) is not None}
        for name, error in services.score_errors(scores).items():
            self.add_error(name, error)
        return cleaned


# --- The governance panel of the estate page ------------------------------------------------


def roster_by_role(entries) -> list[tuple[str, list[RosterEntry]]]:
    """(role label, entries) in the order of `RosterRole`, roles without entries left out."""
    grouped: dict[str, list[RosterEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.role, []).append(entry)
    return [(role.label, grouped[role.value]) for role in RosterRole if role.value in grouped]


def governance_context(estate: Estate, user) -> dict:
    """What the estate page's governance panel (`housing/_governance.html`) shows; the
    page spreads it into its context next to its own `estate`, so no key repeats one of
    the page's. Residents and property companies who reach the estate see the mode and
    the roster, names masked; staff and officials whose area covers it also see the
    gaps, the mode history and the reviews; those who may change the estate get forms."""
    internal = governance.sees_internals(user, estate)
    may_govern = can(user, Action.CHANGE, estate)
    entries = list(governance.active_roster(estate))
    context = {
        "mode": estate.management_mode,
        "mode_label": estate.get_management_mode_display(),
        "roster": [
            (label, [(e, e.display_name if internal else masked_holder(e)) for e in group])
            for label, group in roster_by_role(entries)
        ],
        "governance_internal": internal,
        "may_govern": may_govern,
        "mode_history": [],
        "gaps": [],
        "reviews": [],
        "next_review": None,
    }
    if internal:
        context.update(
            mode_history=list(
                ModeChange.objects.filter(estate=estate)
                .select_related("changed_by")
                .order_by("-changed_on", "-pk")
            ),
            gaps=governance.roster_gaps(estate, entries),
            reviews=list(
                PropertyReview.objects.filter(estate=estate)
                .select_related("company", "reviewer")
                .order_by("-reviewed_on", "-pk")[:RECENT_REVIEWS]
            ),
            next_review=services.review_follow_ups(estate)
            .filter(state=FollowUp.State.SCHEDULED)
            .order_by("due_at")
            .first(),
        )
    if may_govern:
        context.update(
            # Ids of their own: the estate page holds other apps' forms too.
            mode_form=ModeForm(estate=estate, auto_id="governance_mode_%s"),
            roster_form=RosterForm(estate=estate, user=user),
            review_form=ReviewForm(estate=estate),
            roster_end_form=RosterEndForm(),
        )
    return context


def masked_holder(entry: RosterEntry) -> str:
    if entry.person_id:
        return entry.person.masked_name
    if entry.organisation_id:
        return str(entry.organisation)
    return Person(name=entry.name).masked_name


# --- Pages that change an estate ------------------------------------------------------


class EstateChangeMixin:
    """For those who may change estates (403 for the rest); other estates answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, Action.CHANGE, ESTATE_KIND):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_estate(self) -> Estate:
        if not hasattr(self, "_estate"):
            self._estate = get_visible_or_404(
                Estate.objects.select_related("community", "property_company"),
                self.request.user,
                Action.CHANGE,
                pk=self.kwargs["pk"],
            )
        return self._estate

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            estate=self.get_estate(), estate_url=estate_detail_url(self.get_estate().pk), **kwargs
        )


class GovernanceFormView(EstateChangeMixin, FormView):
    """A form whose valid data goes to one service call; its errors keep the page."""

    success_message = gettext_lazy("Saved.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "estate": self.get_estate()}

    def form_valid(self, form):
        try:
            self.act(form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(estate_detail_url(self.get_estate().pk))


class EstateModeView(GovernanceFormView):
    template_name = "housing/governance/mode_form.html"
    form_class = ModeForm
    success_message = gettext_lazy("The management mode is saved.")

    def act(self, data):
        change = services.estate_mode_change(
            actor=self.request.user, estate=self.get_estate(), **data
        )
        if change is None:
            self.success_message = gettext_lazy("The estate already has this management mode.")


class RosterAddView(GovernanceFormView):
    template_name = "housing/governance/roster_form.html"
    form_class = RosterForm
    success_message = gettext_lazy("Added to the roster.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def act(self, data):
        services.roster_add(actor=self.request.user, estate=self.get_estate(), **data)


class ReviewAddView(GovernanceFormView):
    template_name = "housing/governance/review_form.html"
    form_class = ReviewForm
    success_message = gettext_lazy("The review is saved; the next one is scheduled.")

    def act(self, data):
        services.review_add(actor=self.request.user, estate=self.get_estate(), **data)


class RosterEndView(EstateChangeMixin, FormView):
    """POST only: someone leaves a roster role."""

    http_method_names = ["post"]
    template_name = "housing/governance/roster_end_form.html"
    form_class = RosterEndForm

    def get_entry(self) -> RosterEntry:
        if not hasattr(self, "_entry"):
            estates = Estate.objects.visible_to(self.request.user, Action.CHANGE)
            self._entry = get_object_or_404(
                RosterEntry.objects.filter(estate__in=estates).select_related(
                    "estate__community", "person", "organisation"
                ),
                pk=self.kwargs["pk"],
            )
        return self._entry

    def get_estate(self) -> Estate:
        return self.get_entry().estate

    def get_context_data(self, **kwargs):
        return super().get_context_data(entry=self.get_entry(), **kwargs)

    def form_valid(self, form):
        entry = self.get_entry()
        try:
            services.roster_end(actor=self.request.user, entry=entry, **form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The roster entry is ended."))
        return redirect(estate_detail_url(entry.estate_id))


# --- Property companies ------------------------------------------------------------------


class CompanyReadMixin:
    """Staff, programme officers and officials with an area; 403 for everyone else."""

    def dispatch(self, request, *args, **kwargs):
        if not governance.sees_internals(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def visible_estates(self):
        return Estate.objects.visible_to(self.request.user)


class CompanyListView(CompanyReadMixin, ListView):
    """Property companies serving estates the user can see, with counts."""

    template_name = "housing/governance/company_list.html"
    paginate_by = 25

    def get_queryset(self):
        estates = self.visible_estates()
        reviews = PropertyReview.objects.filter(estate__in=estates)
        latest = (
            reviews.filter(company=OuterRef("pk")).order_by("-reviewed_on").values("reviewed_on")
        )
        return (
            Organisation.objects.filter(
                type=OrganisationType.PROPERTY_COMPANY,
                pk__in=estates.filter(property_company__isnull=False).values("property_company"),
            )
            .annotate(
                estate_count=count_of(estates, "property_company"),
                review_count=count_of(reviews, "company"),
                last_reviewed_on=Subquery(latest[:1]),
            )
            .select_related("area")
            .order_by("name", "pk")
        )


class CompanyDetailView(CompanyReadMixin, TemplateView):
    """A property company: the visible estates it serves and its reviews there, with
    average scores computed in the database."""

    template_name = "housing/governance/company_detail.html"
    paginate_by = 25

    def get_context_data(self, **kwargs):
        estates = self.visible_estates()
        reviews = PropertyReview.objects.filter(estate__in=estates)
        companies = Organisation.objects.filter(type=OrganisationType.PROPERTY_COMPANY).filter(
            Q(pk__in=estates.values("property_company")) | Q(pk__in=reviews.values("company"))
        )
        company = companies.select_related("area").filter(pk=self.kwargs["pk"]).first()
        if company is None:
            raise Http404
        company_reviews = reviews.filter(company=company)
        averages = company_reviews.aggregate(
            count=Count("pk"),
            **{f"{name}_avg": Avg(name) for name in SCORES},
            overall_avg=Avg(
                Cast(
                    F("security") + F("cleaning") + F("maintenance") + F("responsiveness"),
                    FloatField(),
                )
                / 4.0
            ),
        )
        served = (
            estates.filter(property_company=company)
            .select_related("community")
            .annotate(
                review_count=Count("reviews", filter=Q(reviews__company=company)),
                last_reviewed_on=Max("reviews__reviewed_on", filter=Q(reviews__company=company)),
            )
            .order_by("name", "pk")
        )
        page = Paginator(
            company_reviews.select_related("estate", "reviewer").order_by("-reviewed_on", "-pk"),
            self.paginate_by,
        ).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            company=company,
            estates=[(e, estate_detail_url(e.pk)) for e in served],
            averages=averages,
            reviews=[(r, estate_detail_url(r.estate_id)) for r in page.object_list],
            page_obj=page,
            **kwargs,
        )
