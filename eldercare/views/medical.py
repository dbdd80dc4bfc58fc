"""Medical-care pages: agreements with their renewal, family-doctor teams, contracts and
visits."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from housing.models import Person
from portal.models import Organisation
from portal.roles import Action, OrganisationType, Role
from portal.scope import can, get_visible_or_404, may, member_of, roles_of
from portal.views.accounts import form_error_from

from ..forms.medical import AgreementForm, ContractEndForm, ContractForm, TeamForm, VisitForm
from ..models import AgreementService, CareAgreement, DoctorContract, DoctorTeam
from ..services import medical as services
from ..services.facilities import may_create_somewhere
from ..services.medical import AGREEMENT, CONTRACT, TEAM

STATE_LABELS = {
    "expired": gettext_lazy("expired"),
    "renewal_due": gettext_lazy("renewal due"),
    "in_force": gettext_lazy("in force"),
}


def may_list(user, kind: str) -> bool:
    """Staff, officers and the institutions' members; not residents."""
    return user.is_superuser or bool(
        roles_of(user) - {Role.RESIDENT} and may(user, Action.VIEW, kind)
    )


def in_nav(kind: str, organisation_types: frozenset):
    """A nav test: staff and officers, and the members of the kinds of organisation party
    to such rows; decided from the memberships already loaded (no query)."""

    def visible(user) -> bool:
        if not may_list(user, kind):
            return False
        if user.is_superuser or roles_of(user) - {Role.ORGANISATION_MEMBER}:
            return True
        return member_of(user, organisation_types)

    return visible


agreements_in_nav = in_nav(
    AGREEMENT,
    frozenset({OrganisationType.CARE_INSTITUTION, OrganisationType.MEDICAL_INSTITUTION}),
)
teams_in_nav = in_nav(TEAM, frozenset({OrganisationType.MEDICAL_INSTITUTION}))


def agreement_services(codes) -> list[str]:
    labels = dict(AgreementService.choices)
    return [str(labels[c]) for c in codes if c in labels]


# --- Agreements -----------------------------------------------------------------


class AgreementListView(ListView):
    """Agreements in scope, soonest expiry first, with their state."""

    template_name = "eldercare/medical/agreement_list.html"
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if not may_list(request.user, AGREEMENT):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        today = timezone.localdate()
        notice = today + timedelta(days=services.RENEWAL_NOTICE_DAYS)
        agreements = CareAgreement.objects.visible_to(self.request.user).select_related(
            "area", "care_institution", "medical_institution"
        )
        state = self.request.GET.get("state")
        if state == "expired":
            agreements = agreements.filter(expires_on__lt=today)
        elif state == "renewal_due":
            agreements = agreements.filter(expires_on__gte=today, expires_on__lte=notice)
        elif state == "in_force":
            agreements = agreements.filter(expires_on__gte=today)
        return agreements.order_by("expires_on", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context["rows"] = [
            (a, services.agreement_state(a, today=today), agreement_services(a.services))
            for a in context["object_list"]
        ]
        context["states"] = STATE_LABELS.items()
        context["may_create"] = may_create_somewhere(self.request.user, AGREEMENT)
        return context


def visible_agreement(user, pk, action=Action.VIEW):
    return get_visible_or_404(
        CareAgreement.objects.select_related(
            "area", "care_institution", "medical_institution", "renewal_follow_up"
        ),
        user,
        action,
        pk=pk,
    )


class AgreementDetailView(TemplateView):
    template_name = "eldercare/medical/agreement_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        agreement = visible_agreement(user, self.kwargs["pk"])
        state = services.agreement_state(agreement, today=timezone.localdate())
        return super().get_context_data(
            agreement=agreement,
            state=state,
            state_label=STATE_LABELS[state],
            service_labels=agreement_services(agreement.services),
            may_change=can(user, Action.CHANGE, agreement),
            **kwargs,
        )


def _with_current(queryset, *pks):
    return (queryset | Organisation.objects.filter(pk__in=[p for p in pks if p])).distinct()


class AgreementCreateView(FormView):
    template_name = "eldercare/medical/agreement_form.html"
    form_class = AgreementForm

    def dispatch(self, request, *args, **kwargs):
        if not may_create_somewhere(request.user, AGREEMENT):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "areas": services.creatable_areas(user, AGREEMENT),
            "care": services.institutions(user, AGREEMENT, OrganisationType.CARE_INSTITUTION),
            "medical": services.institutions(user, AGREEMENT, OrganisationType.MEDICAL_INSTITUTION),
        }

    def form_valid(self, form):
        try:
            agreement = services.agreement_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("area", _("You may not record agreements in this area."))
            return self.form_invalid(form)
        messages.success(self.request, _("The agreement is recorded; its renewal is scheduled."))
        return redirect("eldercare:agreement_detail", pk=agreement.pk)


class AgreementEditView(FormView):
    template_name = "eldercare/medical/agreement_form.html"
    form_class = AgreementForm

    def dispatch(self, request, *args, **kwargs):
        self.agreement = visible_agreement(request.user, kwargs["pk"])
        if not can(request.user, Action.CHANGE, self.agreement):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        a = self.agreement
        return {
            "care_institution": a.care_institution,
            "medical_institution": a.medical_institution,
            "services": a.services,
            "signed_on": a.signed_on,
            "expires_on": a.expires_on,
            "note": a.note,
        }

    def get_form_kwargs(self):
        user, a = self.request.user, self.agreement
        care = services.institutions(user, AGREEMENT, OrganisationType.CARE_INSTITUTION)
        medical = services.institutions(user, AGREEMENT, OrganisationType.MEDICAL_INSTITUTION)
        return {
            **super().get_form_kwargs(),
            "care": _with_current(care, a.care_institution_id).order_by("name"),
            "medical": _with_current(medical, a.medical_institution_id).order_by("name"),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(agreement=self.agreement, **kwargs)

    def form_valid(self, form):
        try:
            agreement = services.agreement_update(
                actor=self.request.user, agreement=self.agreement, **form.cleaned_data
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The agreement is saved."))
        return redirect("eldercare:agreement_detail", pk=agreement.pk)


# --- Teams ----------------------------------------------------------------------


class TeamListView(ListView):
    """Family-doctor teams in scope with their live contracts."""

    template_name = "eldercare/medical/team_list.html"
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if not may_list(request.user, TEAM):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return (
            DoctorTeam.objects.visible_to(self.request.user)
            .select_related("area", "medical_institution")
            .annotate(live_contracts=Count("contracts", filter=Q(contracts__ended_on__isnull=True)))
            .order_by("name", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_create"] = may_create_somewhere(self.request.user, TEAM)
        return context


class TeamDetailView(TemplateView):
    """A team, its members and its contracts with the next visit due."""

    template_name = "eldercare/medical/team_detail.html"
    contracts_per_page = 50

    def get_context_data(self, **kwargs):
        user = self.request.user
        team = get_visible_or_404(
            DoctorTeam.objects.select_related("area", "medical_institution"),
            user,
            pk=self.kwargs["pk"],
        )
        contracts = (
            DoctorContract.objects.visible_to(user)
            .filter(team=team)
            .select_related("person__community", "next_visit_follow_up")
            .order_by("ended_on", "person__name", "pk")
        )
        page = Paginator(contracts, self.contracts_per_page).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            team=team,
            members=[line for line in team.members.splitlines() if line.strip()],
            page_obj=page,
            may_add_contract=may_create_somewhere(user, CONTRACT),
            **kwargs,
        )


class TeamCreateView(FormView):
    template_name = "eldercare/medical/team_form.html"
    form_class = TeamForm

    def dispatch(self, request, *args, **kwargs):
        if not may_create_somewhere(request.user, TEAM):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "areas": services.creatable_areas(user, TEAM),
            "medical": services.institutions(user, TEAM, OrganisationType.MEDICAL_INSTITUTION),
        }

    def form_valid(self, form):
        try:
            team = services.team_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("area", _("You may not register teams in this area."))
            return self.form_invalid(form)
        messages.success(self.request, _("The team is registered."))
        return redirect("eldercare:team_detail", pk=team.pk)


# --- Contracts and visits -------------------------------------------------------


def elderly_people(user):
    """Residents in scope aged 60 or over, or whose age is not known."""
    today = timezone.localdate()
    try:
        born_by = today.replace(year=today.year - services.ELDERLY_AGE)
    except ValueError:  # 29 February
        born_by = today.replace(year=today.year - services.ELDERLY_AGE, day=28)
    return (
        Person.objects.visible_to(user)
        .filter(Q(birth_date__isnull=True) | Q(birth_date__lte=born_by))
        .select_related("community")
        .order_by("name", "pk")
    )


class TeamContractAddView(FormView):
    """Sign a resident with the team; the first visit falls due after the interval."""

    template_name = "eldercare/medical/contract_form.html"
    form_class = ContractForm

    def dispatch(self, request, *args, **kwargs):
        self.team = get_visible_or_404(
            DoctorTeam.objects.select_related("area"), request.user, pk=kwargs["pk"]
        )
        if not may_create_somewhere(request.user, CONTRACT):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "people": elderly_people(self.request.user)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(team=self.team, **kwargs)

    def form_valid(self, form):
        try:
            contract = services.contract_sign(
                actor=self.request.user, team=self.team, **form.cleaned_data
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("person", _("You may not sign this resident with this team."))
            return self.form_invalid(form)
        messages.success(self.request, _("The contract is signed; the first visit is scheduled."))
        return redirect("eldercare:contract_detail", pk=contract.pk)


def visible_contract(user, pk):
    return get_visible_or_404(
        DoctorContract.objects.select_related(
            "team__area", "team__medical_institution", "person__community", "next_visit_follow_up"
        ),
        user,
        pk=pk,
    )


def contract_context(contract, user, *, visit_form=None, end_form=None) -> dict:
    may_change = contract.ended_on is None and can(user, Action.CHANGE, contract)
    return {
        "contract": contract,
        "visits": list(
            contract.visits.select_related("recorded_by").order_by("-visited_on", "-pk")
        ),
        "team_visible": DoctorTeam.objects.visible_to(user).filter(pk=contract.team_id).exists(),
        "may_change": may_change,
        "visit_form": visit_form or (VisitForm() if may_change else None),
        "end_form": end_form or (ContractEndForm() if may_change else None),
    }


class ContractDetailView(TemplateView):
    template_name = "eldercare/medical/contract_detail.html"

    def get_context_data(self, **kwargs):
        contract = visible_contract(self.request.user, self.kwargs["pk"])
        return super().get_context_data(**contract_context(contract, self.request.user), **kwargs)


class _ContractPostView(View):
    """POST on a contract: one form, one service call; errors re-render the contract page."""

    form_class = None
    form_name = ""

    def call(self, contract, data):
        raise NotImplementedError

    def post(self, request, pk):
        contract = visible_contract(request.user, pk)
        if not can(request.user, Action.CHANGE, contract):
            raise PermissionDenied
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                message = self.call(contract, form.cleaned_data)
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, message)
                return redirect("eldercare:contract_detail", pk=contract.pk)
        return render(
            request,
            ContractDetailView.template_name,
            contract_context(contract, request.user, **{self.form_name: form}),
        )


class VisitRecordView(_ContractPostView):
    form_class = VisitForm
    form_name = "visit_form"

    def call(self, contract, data):
        services.visit_record(actor=self.request.user, contract=contract, **data)
        return _("The visit is recorded and the next one scheduled.")


class ContractEndView(_ContractPostView):
    form_class = ContractEndForm
    form_name = "end_form"

    def call(self, contract, data):
        services.contract_end(actor=self.request.user, contract=contract, **data)
        return _("The contract has ended; no further visits are scheduled.")
