"""Registry pages: estates, households, people (masked, reveal logged), household binding."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView
from django_filters.views import FilterView

from portal.models import Area, User
from portal.querysets import area_labels
from portal.roles import Action, AreaLevel, Role
from portal.scope import active_memberships, can, get_visible_or_404, may, reach, under_paths_q
from portal.views.accounts import form_error_from, render_slip

from .. import governance
from ..filters import EstateFilter
from ..forms import (
    ClaimDecisionForm,
    ClaimForm,
    EstateForm,
    LinkAccountForm,
    PersonForm,
    RevealForm,
)
from ..models import CareTag, Estate, Household, HouseholdClaim, Person, Residence, Unit
from ..services import registry as services
from ..services.importing import may_import_at
from .desk import desk_context
from .governance import governance_context

ESTATE = "housing.estate"


def communities_for(user, action=Action.VIEW, kind=ESTATE):
    """The communities where `user` may do `action` to `kind` (filter and form choices)."""
    r = reach(user, kind, action)
    communities = Area.objects.filter(level=AreaLevel.COMMUNITY).order_by("path")
    return communities if r.everything else communities.filter(under_paths_q(r.area_paths))


class EstateListView(FilterView):
    """Estates in scope with their counts, mode and roster gaps; filterable."""

    template_name = "housing/estate_list.html"
    filterset_class = EstateFilter
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, Action.VIEW, ESTATE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        estates = Estate.objects.visible_to(self.request.user).with_counts()
        return (
            governance.annotate_gaps(estates)
            .select_related("community", "property_company")
            .order_by("community__path", "name")
        )

    def get_filterset_kwargs(self, filterset_class):
        return {
            **super().get_filterset_kwargs(filterset_class),
            "communities": communities_for(self.request.user),
            "gap_choices": governance.GAP_CHOICES,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = [(e, governance.gaps_of(e)) for e in context["object_list"]]
        context["may_create"] = may(self.request.user, Action.CREATE, ESTATE)
        return context


class EstateCreateView(FormView):
    template_name = "housing/estate_form.html"
    form_class = EstateForm

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, Action.CREATE, ESTATE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        communities = communities_for(self.request.user, Action.CREATE)
        return {**super().get_form_kwargs(), "communities": communities}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            estate = services.estate_create(actor=self.request.user, **data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The estate is registered."))
        return redirect("housing:estate_detail", pk=estate.pk)


class EstateDetailView(TemplateView):
    """An estate: buildings → units → households, governance, desk visits and issues."""

    template_name = "housing/estate_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        estate = get_visible_or_404(
            Estate.objects.select_related("community", "grid", "property_company"),
            user,
            pk=self.kwargs["pk"],
        )
        households = Household.objects.annotate(people=Count("residences")).order_by(
            "floor", "room_number"
        )
        buildings = estate.buildings.prefetch_related(
            Prefetch(
                "units",
                queryset=Unit.objects.order_by("number").prefetch_related(
                    Prefetch("households", queryset=households)
                ),
            )
        )
        return super().get_context_data(
            estate=estate,
            buildings=buildings,
            may_change=can(user, Action.CHANGE, estate),
            may_import=may_import_at(user, estate),
            community_label=area_labels([estate.community]).get(estate.community_id),
            **governance_context(estate, user),
            **desk_context(estate, user),
            **kwargs,
        )


class HouseholdDetailView(TemplateView):
    template_name = "housing/household_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        household = get_visible_or_404(
            Household.objects.select_related("unit__building__estate__community"),
            user,
            pk=self.kwargs["pk"],
        )
        may_change = can(user, Action.CHANGE, household)
        residences = household.residences.select_related("person")
        return super().get_context_data(
            household=household,
            residences=residences,
            may_change=may_change,
            claims=household.claims.filter(state=HouseholdClaim.State.PENDING).select_related(
                "user"
            )
            if may_change
            else [],
            person_form=PersonForm() if may_change else None,
            **kwargs,
        )


class PersonAddView(View):
    """Staff add a person to a household (a new record, or an ID already on file)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        household = get_visible_or_404(
            Household.objects.select_related("unit__building__estate__community"),
            request.user,
            Action.CHANGE,
            pk=pk,
        )
        form = PersonForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            with_account = data.pop("with_account")
            community = household.unit.building.estate.community
            try:
                if with_account:
                    _person, account, password = services.person_create_with_account(
                        actor=request.user, community=community, household=household, **data
                    )
                    return render_slip(request, account, password, new=True)
                services.person_create(
                    actor=request.user, community=community, household=household, **data
                )
            except ValidationError as error:
                form_error_from(form, error)
            except PermissionDenied:
                form.add_error("with_account", _("You cannot open accounts in this community."))
            else:
                messages.success(request, _("The person is added."))
                return redirect("housing:household_detail", pk=household.pk)
        return render(request, "housing/person_form.html", {"form": form, "household": household})


class PersonDetailView(TemplateView):
    """A resident's record: masked; sensitive fields only for those who may, logged."""

    template_name = "housing/person_detail.html"

    def get_person(self):
        return get_visible_or_404(
            Person.objects.select_related("community", "user"),
            self.request.user,
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        person = kwargs.pop("person", None) or self.get_person()
        sensitive = services.may_see_sensitive(user, person)
        if sensitive and (person.care_tags or person.ethnicity):
            services.record_sensitive_opening(user=user, person=person)
        may_change = can(user, Action.CHANGE, person)
        return super().get_context_data(
            person=person,
            sensitive=sensitive,
            care_tag_labels=[CareTag(t).label for t in person.care_tags if t in CareTag.values]
            if sensitive
            else [],
            may_reveal=bool(person.id_number_encrypted)
            and services.may_see_sensitive(user, person, reveal=True),
            may_change=may_change,
            residences=Residence.objects.filter(person=person).select_related(
                "household__unit__building__estate"
            ),
            reveal_form=kwargs.pop("reveal_form", RevealForm()),
            link_form=LinkAccountForm(
                accounts=User.objects.visible_to(user).filter(person__isnull=True)
            )
            if may_change and not person.user_id
            else None,
            **kwargs,
        )


class PersonRevealView(PersonDetailView):
    """POST a reason, see the full ID number once; the reveal is recorded."""

    http_method_names = ["post"]

    def post(self, request, pk):
        person = self.get_person()
        form = RevealForm(request.POST)
        revealed = ""
        if form.is_valid():
            try:
                revealed = services.person_reveal_id(
                    actor=request.user, person=person, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form_error_from(form, error)
        response = self.render_to_response(
            self.get_context_data(person=person, reveal_form=form, revealed=revealed)
        )
        response["Cache-Control"] = "no-store"
        return response


class PersonLinkView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        person = get_visible_or_404(Person.objects.all(), request.user, Action.CHANGE, pk=pk)
        form = LinkAccountForm(request.POST, accounts=User.objects.visible_to(request.user))
        if form.is_valid():
            try:
                services.person_link_user(
                    actor=request.user, person=person, user=form.cleaned_data["account"]
                )
                messages.success(request, _("The account is linked to this person."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        else:
            messages.error(request, _("Choose a resident account."))
        return redirect("housing:person_detail", pk=person.pk)


class ClaimView(FormView):
    """A resident asks to be bound to their household: estate, building, unit, room."""

    template_name = "housing/claim_form.html"
    form_class = ClaimForm

    def get_estates(self):
        communities = [
            m.area
            for m in active_memberships(self.request.user)
            if m.role == Role.RESIDENT and m.area
        ]
        return Estate.objects.filter(community__in=communities).order_by("name")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            estates=self.get_estates(),
            claims=HouseholdClaim.objects.filter(user=self.request.user).select_related(
                "household__unit__building__estate"
            ),
            **kwargs,
        )

    def form_valid(self, form):
        post = self.request.POST
        household = Household.objects.filter(
            unit__building__estate__in=self.get_estates(),
            unit__building__estate_id=post.get("estate") or 0,
            unit__building__number=post.get("building", "").strip(),
            unit__number=post.get("unit", "").strip(),
            room_number=post.get("room", "").strip(),
        ).first()
        if household is None:
            form.add_error(
                None, _("No such household in this estate: check building, unit and room.")
            )
            return self.form_invalid(form)
        try:
            services.household_claim(
                user=self.request.user, household=household, **form.cleaned_data
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your request is sent to your community office."))
        return redirect("housing:claim")


class ClaimQueueView(ListView):
    """Binding requests waiting for the staff who may change those households."""

    template_name = "housing/claim_queue.html"
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, Action.CHANGE, "housing.household"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        households = Household.objects.visible_to(self.request.user, Action.CHANGE)
        return (
            HouseholdClaim.objects.filter(
                state=HouseholdClaim.State.PENDING, household__in=households
            )
            .select_related("user", "household__unit__building__estate")
            .order_by("created_at")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(decision_form=ClaimDecisionForm(), **kwargs)


class ClaimDecideView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        households = Household.objects.visible_to(request.user, Action.CHANGE)
        claim = get_object_or_404(HouseholdClaim, pk=pk, household__in=households)
        form = ClaimDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose approve or reject."))
            return redirect("housing:claim_queue")
        try:
            services.household_claim_decide(actor=request.user, claim=claim, **form.cleaned_data)
            messages.success(request, _("Decision saved."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(reverse("housing:claim_queue"))
