"""Consent pages: the tally partial of the project page (`consent_context`), voting,
recording a paper ballot, closing the vote, and a page with just the tally."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from housing.models import Household
from portal.roles import Action
from portal.scope import can, get_visible_or_404, may, may_at
from portal.views.accounts import form_error_from

from .. import consent
from ..models import Ballot, Project, Stage
from ..services import consent as services

KIND = "elevators.project"


def project_url(pk: int) -> str:
    """The project page, where every consent form returns to."""
    return reverse("elevators:project_detail", args=[pk])


def projects():
    return Project.objects.select_related("case__community", "unit__building__estate")


class HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.room_number


class VoteForm(forms.Form):
    household = HouseholdChoiceField(
        label=gettext_lazy("Your flat"), queryset=Household.objects.none(), empty_label=None
    )
    choice = forms.ChoiceField(
        label=gettext_lazy("Your vote"), choices=Ballot.Choice.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households


class PaperBallotForm(forms.Form):
    household = HouseholdChoiceField(label=gettext_lazy("Flat"), queryset=Household.objects.none())
    choice = forms.ChoiceField(
        label=gettext_lazy("Vote on the form"),
        choices=Ballot.Choice.choices,
        widget=forms.RadioSelect,
    )
    scan = forms.FileField(
        label=gettext_lazy("Scan of the signed form"),
        help_text=gettext_lazy("A photo or PDF of the form the owner signed."),
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = Household.objects.filter(
            unit_id=project.unit_id
        ).order_by("floor", "room_number")


class CloseVoteForm(forms.Form):
    """Nothing to fill in: the page asks to confirm."""


# --- The consent panel of the project page --------------------------------------------


def sees_rooms(user, project: Project, *, may_change: bool | None = None) -> bool:
    """Staff and officials whose area covers the project see other flats' room numbers;
    residents see them masked."""
    if may_change is None:
        may_change = can(user, Action.CHANGE, project)
    return may_change or may_at(user, Action.VIEW, KIND, project.case.community)


def consent_context(project: Project, user) -> dict:
    """What the project page's consent panel (`elevators/_consent.html`) shows: the tally
    and every configured rule's result side by side (frozen once the vote closed), the
    user's own ballots, the households that have not voted, and the forms the user may
    use. Keys start with "consent_" so they never clash with the page's own."""
    now = timezone.now()
    live = services.live_consent(project, now=now)
    frozen = services.frozen_consent(project)
    closed = services.vote_is_closed(project, now)
    voting_open = not closed and project.stage == Stage.VOTING
    if frozen:
        tally, results, governing = frozen["tally"], frozen["results"], frozen["governing"]
    else:
        tally, results, governing = live.tally, live.results, live.governing
    may_change = can(user, Action.CHANGE, project)
    full_rooms = sees_rooms(user, project, may_change=may_change)
    mine = list(services.owner_households(user, project))
    my_ballots = {
        b.household_id: b
        for b in Ballot.objects.filter(project=project, household__in=[h.pk for h in mine])
    }
    context = {
        "consent_tally": tally,
        "consent_results": [
            {"rule": rule, "result": result, "governing": index == governing}
            for index, (rule, result) in enumerate(results)
        ],
        "consent_governing_result": results[governing][1],
        "consent_frozen": frozen,
        "consent_closed": closed,
        "consent_open": voting_open,
        "consent_headcount_rule": consent.HEADCOUNT_RULE,
        "consent_my_ballots": [(h, my_ballots.get(h.pk)) for h in mine],
        "consent_not_voted": [
            h.room_number if full_rooms else consent.mask_room(h.room_number, h.floor)
            for h in live.households
            if h.pk not in live.ballots
        ],
        "consent_rooms_full": full_rooms,
        "consent_vote_form": None,
        "consent_may_record": may_change and voting_open,
        "consent_may_close": may_change and voting_open,
    }
    if voting_open and mine:
        context["consent_vote_form"] = VoteForm(
            households=services.owner_households(user, project), auto_id="consent_vote_%s"
        )
    return context


# --- Pages ------------------------------------------------------------------------------


class ConsentView(TemplateView):
    """The consent panel alone, for anyone who may see the project."""

    template_name = "elevators/consent/page.html"

    def get_context_data(self, **kwargs):
        project = get_visible_or_404(projects(), self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(
            project=project, **consent_context(project, self.request.user), **kwargs
        )


class VoteView(View):
    """POST only: a verified owner votes for one of their flats in the unit."""

    http_method_names = ["post"]

    def post(self, request, pk):
        project = get_visible_or_404(projects(), request.user, pk=pk)
        households = services.owner_households(request.user, project)
        if not households.exists():
            raise PermissionDenied
        form = VoteForm(request.POST, households=households)
        if form.is_valid():
            try:
                services.ballot_cast(
                    user=request.user,
                    project=project,
                    household=form.cleaned_data["household"],
                    choice=form.cleaned_data["choice"],
                )
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, _("Your vote is recorded."))
                return redirect(project_url(project.pk))
        return render(
            request,
            "elevators/consent/vote_form.html",
            {"project": project, "form": form, "project_url": project_url(project.pk)},
        )


class ProjectChangeMixin:
    """For those who may change elevator projects (403 for the rest); projects out of
    their reach answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, Action.CHANGE, KIND):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = get_visible_or_404(
                projects(), self.request.user, Action.CHANGE, pk=self.kwargs["pk"]
            )
        return self._project

    def get_context_data(self, **kwargs):
        project = self.get_project()
        return super().get_context_data(
            project=project, project_url=project_url(project.pk), **kwargs
        )


class PaperBallotView(ProjectChangeMixin, FormView):
    """Staff record a signed paper ballot with its scan."""

    template_name = "elevators/consent/paper_ballot_form.html"
    form_class = PaperBallotForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "project": self.get_project()}

    def form_valid(self, form):
        project = self.get_project()
        try:
            services.ballot_record_paper(
                actor=self.request.user,
                project=project,
                household=form.cleaned_data["household"],
                choice=form.cleaned_data["choice"],
                scan=form.cleaned_data["scan"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The paper ballot is recorded."))
        return redirect(project_url(project.pk))


class CloseVoteView(ProjectChangeMixin, FormView):
    """Staff close the vote: the result is frozen under the rule version in force."""

    template_name = "elevators/consent/close_form.html"
    form_class = CloseVoteForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **consent_context(self.get_project(), self.request.user), **kwargs
        )

    def form_valid(self, form):
        project = self.get_project()
        try:
            services.vote_close(actor=self.request.user, project=project)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The vote is closed and its result frozen."))
        return redirect(project_url(project.pk))
