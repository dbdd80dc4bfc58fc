"""Mediation pages, from convening the panel to the return visit: one small form per
step (each makes one service call and returns to the dispute), the printable agreement
(人民调解协议书), and `mediation_context` for the dispute page's mediation block."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from portal.models import Organisation, User
from portal.querysets import one_to_one, sees_internal
from portal.roles import Action
from portal.scope import active_memberships, can, get_visible_or_404, may
from portal.views.accounts import form_error_from

from ..models import (
    Affiliation,
    Agreement,
    Dispute,
    Extension,
    JudicialConfirmation,
    Mediator,
    PanelMember,
    Party,
    Referral,
    ReturnVisit,
    Session,
)
from ..services import mediation as services

DISPUTE = "disputes.dispute"
Status = Dispute.Status
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def dispute_url(pk: int) -> str:
    """The dispute's page, where every mediation form returns to."""
    return reverse("disputes:dispute_detail", args=[pk])


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def datetime_field(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        **kwargs,
    )


def text_field(label, *, required=True, rows=3, max_length=4000, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


def mediator_label(mediator: Mediator) -> str:
    label = f"{mediator.name} · {mediator.get_affiliation_display()}"
    return f"{label} · {mediator.organisation}" if mediator.organisation_id else label


def party_label(party: Party) -> str:
    return f"{party.name} · {party.get_role_display()}"


# --- Forms: they word field errors; the services enforce the rules --------------------------


class PanelForm(forms.Form):
    mediators = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Mediators"),
        queryset=Mediator.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Suggested by the dispute's category; change as needed."),
    )
    lead = forms.ModelChoiceField(
        label=gettext_lazy("Leads the mediation"),
        queryset=Mediator.objects.none(),
        help_text=gettext_lazy("A community cadre or the party secretary; the case goes to them."),
    )

    def __init__(self, *args, dispute: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        pool = (
            services.mediators_for(dispute.case.community)
            .select_related("organisation")
            .order_by("affiliation", "name", "pk")
        )
        for name in ("mediators", "lead"):
            self.fields[name].queryset = pool
            self.fields[name].label_from_instance = mediator_label
        if not self.is_bound:
            panel = list(PanelMember.objects.filter(dispute_id=dispute.pk))
            if panel:
                chosen = [m.mediator_id for m in panel]
                lead = next((m.mediator_id for m in panel if m.is_lead), None)
            else:
                suggested = services.panel_suggest(dispute)
                chosen = [m.pk for m in suggested]
                lead = next(
                    (m.pk for m in suggested if m.affiliation == Affiliation.COMMUNITY_CADRE),
                    None,
                )
            self.initial.update(mediators=chosen, lead=lead)


class MediatorForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("May be left empty when an account is chosen."),
    )
    affiliation = forms.ChoiceField(label=gettext_lazy("Affiliation"), choices=Affiliation.choices)
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=gettext_lazy(
            "Required for the police station, court, judicial office and property company."
        ),
    )
    user = forms.ModelChoiceField(
        label=gettext_lazy("Account"),
        queryset=User.objects.none(),
        required=False,
        help_text=gettext_lazy(
            "With an account the mediator is reminded of sessions and, from "
            "an organisation, sees the disputes of their panels."
        ),
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = services.organisations_near(community).order_by(
            "name", "pk"
        )
        self.fields["user"].queryset = services.panel_account_candidates(community).order_by(
            "display_name", "username"
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("name", "").strip() and not cleaned.get("user") and not self.errors:
            self.add_error("name", _("Give the mediator's name or choose an account."))
        return cleaned


class SessionForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("Kind of session"), choices=Session.Format.choices
    )
    starts_at = datetime_field(
        gettext_lazy("When"),
        help_text=gettext_lazy(
            "Everyone attending with an account is reminded at 18:00 the day before."
        ),
    )
    place = forms.CharField(label=gettext_lazy("Where it takes place"), max_length=200)
    parties = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Parties attending"),
        queryset=Party.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mediators = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Mediators attending"),
        queryset=Mediator.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("From the dispute's panel."),
    )

    def __init__(self, *args, dispute: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = Party.objects.filter(dispute_id=dispute.pk).order_by(
            "role", "pk"
        )
        self.fields["parties"].label_from_instance = party_label
        self.fields["mediators"].queryset = (
            Mediator.objects.filter(panels__dispute_id=dispute.pk)
            .select_related("organisation")
            .order_by("name", "pk")
        )
        self.fields["mediators"].label_from_instance = mediator_label
        if not self.is_bound:
            self.initial.setdefault("format", Session.Format.CLINIC)


class MinutesForm(forms.Form):
    minutes = text_field(gettext_lazy("Minutes"), rows=8, max_length=20000)


class AgreementForm(forms.Form):
    form = forms.ChoiceField(
        label=gettext_lazy("Form"), choices=Agreement.Form.choices, widget=forms.RadioSelect
    )
    facts = text_field(gettext_lazy("Facts and points in dispute"), rows=4)
    responsibilities = text_field(gettext_lazy("Responsibilities"), required=False)
    terms = text_field(gettext_lazy("What the parties agree"), rows=5)
    performance_deadline = forms.DateField(
        label=gettext_lazy("To be carried out by"), required=False, widget=DateInput()
    )
    effective_on = forms.DateField(
        label=gettext_lazy("Effective from"),
        widget=DateInput(),
        help_text=gettext_lazy(
            "The day the parties and the mediators signed and the committee sealed it."
        ),
    )

    def __init__(self, *args, dispute: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.update(
                form=Agreement.Form.WRITTEN, facts=dispute.facts, effective_on=timezone.localdate()
            )


class FailForm(forms.Form):
    reason = text_field(gettext_lazy("Why the mediation failed"))
    referral_kind = forms.ChoiceField(
        label=gettext_lazy("The parties are referred to"), choices=Referral.Kind.choices
    )
    provider = forms.CharField(
        label=gettext_lazy("Provider"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("E.g. the court or the legal-aid centre."),
    )


class CloseForm(forms.Form):
    """Nothing to fill in: the outcome decides how the dispute closes."""


class ExtendForm(forms.Form):
    new_due_at = datetime_field(gettext_lazy("New time limit"))
    consent = text_field(
        gettext_lazy("How the parties consented"),
        help_text=gettext_lazy("E.g. both agreed at the session of 12 May, signed on the record."),
    )


KEPT_CHOICES = [
    ("yes", gettext_lazy("Yes, it is kept")),
    ("no", gettext_lazy("No, it is not kept")),
]
SATISFACTION_CHOICES = [(n, str(n)) for n in range(1, 6)]


class ReturnVisitForm(forms.Form):
    visited_on = forms.DateField(label=gettext_lazy("Visited on"), widget=DateInput())
    kept = forms.TypedChoiceField(
        label=gettext_lazy("Is the agreement kept?"),
        choices=KEPT_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.TypedChoiceField(
        label=gettext_lazy("Satisfaction"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("1 (very unsatisfied) to 5 (very satisfied)"),
    )
    note = text_field(gettext_lazy("Note"), required=False)
    reopen_mediation = forms.BooleanField(
        label=gettext_lazy("If it is not kept, reopen the mediation"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("visited_on", timezone.localdate())


class ConfirmationForm(forms.Form):
    applied_on = forms.DateField(label=gettext_lazy("Applied on"), widget=DateInput())
    court = forms.ModelChoiceField(
        label=gettext_lazy("Court"), queryset=Organisation.objects.none()
    )

    def __init__(self, *args, dispute: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["court"].queryset = services.courts_near(dispute.case.community).order_by(
            "name", "pk"
        )
        if not self.is_bound:
            self.initial.setdefault("applied_on", timezone.localdate())


class ConfirmationResultForm(forms.Form):
    result = forms.ChoiceField(
        label=gettext_lazy("Result"),
        choices=[
            (JudicialConfirmation.Result.CONFIRMED, JudicialConfirmation.Result.CONFIRMED.label),
            (JudicialConfirmation.Result.REJECTED, JudicialConfirmation.Result.REJECTED.label),
        ],
        widget=forms.RadioSelect,
    )
    result_on = forms.DateField(label=gettext_lazy("Decided on"), widget=DateInput())


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Refer to"), choices=Referral.Kind.choices)
    party = forms.ModelChoiceField(
        label=gettext_lazy("For the party"), queryset=Party.objects.none(), required=False
    )
    provider = forms.CharField(label=gettext_lazy("Provider"), max_length=200, required=False)
    reason = text_field(
        gettext_lazy("Why"),
        required=False,
        help_text=gettext_lazy(
            "For legal aid: why the party qualifies, e.g. economic hardship "
            "(Legal Aid Law Art. 31) or domestic violence (Art. 32)."
        ),
    )

    def __init__(self, *args, dispute: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.filter(dispute_id=dispute.pk).order_by(
            "role", "pk"
        )
        self.fields["party"].label_from_instance = party_label


class ReferralOutcomeForm(forms.Form):
    outcome = text_field(gettext_lazy("Outcome"))


# --- The dispute page's mediation block ---------------------------------------------------


def on_panel(user, dispute: Dispute) -> bool:
    """Does the user sit on the dispute's panel, in person or through their organisation?"""
    organisations = [m.organisation_id for m in active_memberships(user) if m.organisation_id]
    return PanelMember.objects.filter(
        Q(mediator__user_id=user.pk) | Q(mediator__organisation_id__in=organisations),
        dispute_id=dispute.pk,
    ).exists()


def confirmation_state(agreement: Agreement | None, confirmation, rules: dict, today) -> dict:
    """The last day to apply for judicial confirmation and whether to warn about it."""
    if agreement is None:
        return {"last_day": None, "days_left": None, "warning": False, "window_closed": False}
    last_day = services.confirmation_last_day(agreement, rules)
    days_left = (last_day - today).days
    pending = confirmation is None
    return {
        "last_day": last_day,
        "days_left": days_left,
        "warning": pending and 0 <= days_left <= rules["confirmation_warning_days"],
        "window_closed": pending and days_left < 0,
    }


def mediation_context(dispute: Dispute, user) -> dict:
    """What the dispute page's mediation block (`disputes/_mediation.html`) shows; every
    key starts with `mediation_`, so none repeats one of the page's. Parties see the
    panel, the sessions (without minutes), the agreement and judicial confirmation; the
    panel's members also the minutes and the return visits; staff and officials whose
    area covers the dispute also referrals (their reasons, which may tell of hardship or
    domestic violence, only to those who work the case) and extensions; and those who
    may change it get the forms.
    A fixed number of queries."""
    case = dispute.case
    now = timezone.now()
    internal = sees_internal(user, case)
    mediator = internal or on_panel(user, dispute)
    may_change = can(user, Action.CHANGE, case)
    may_assign = may_change and can(user, Action.ASSIGN, case)
    may_close = may_change and can(user, Action.CLOSE, case)
    is_open = case.closed_at is None
    status = case.status
    rules = services.dispute_rules(case)

    agreement = one_to_one(dispute, "agreement")
    confirmation = one_to_one(dispute, "confirmation") if agreement is not None else None
    sessions = list(
        Session.objects.filter(dispute_id=dispute.pk)
        .prefetch_related("attending_parties__person", "attending_mediators")
        .order_by("starts_at", "pk")
    )
    confirmation_info = confirmation_state(agreement, confirmation, rules, timezone.localdate())
    offers = {
        "panel": may_assign and is_open and status in services.PANEL_STATUSES,
        "mediator": may_assign and is_open and status in services.PANEL_STATUSES,
        "session": may_change and is_open and status in services.MEDIATION_STATUSES,
        "agreement": may_change and is_open and status == Status.MEDIATING and agreement is None,
        "fail": may_close and is_open and status in services.MEDIATION_STATUSES,
        "close": may_close
        and is_open
        and (agreement is not None or status in services.NO_AGREEMENT),
        "extend": may_change
        and is_open
        and case.due_at is not None
        and status in services.PANEL_STATUSES,
        "confirmation": may_change
        and agreement is not None
        and confirmation is None
        and not confirmation_info["window_closed"],
        "confirmation_result": may_change
        and confirmation is not None
        and confirmation.result == JudicialConfirmation.Result.PENDING,
        "referral": may_change,
        "minutes": may_change,
        "return_visit": may_change,
        "referral_outcome": may_change,
    }
    context = {
        "mediation_dispute": dispute,
        "mediation_internal": internal,
        "mediation_on_panel": mediator,
        "mediation_may_change": may_change,
        "mediation_offers": offers,
        "mediation_panel": list(
            PanelMember.objects.filter(dispute_id=dispute.pk)
            .select_related("mediator__organisation")
            .order_by("-is_lead", "mediator__name", "pk")
        ),
        "mediation_sessions": [
            (
                session,
                session.starts_at <= now,
                [party_label_for(p, user, internal) for p in session.attending_parties.all()],
            )
            for session in sessions
        ],
        "mediation_agreement": agreement,
        "mediation_confirmation": confirmation,
        "mediation_confirmation_last_day": confirmation_info["last_day"],
        "mediation_confirmation_days_left": confirmation_info["days_left"],
        "mediation_confirmation_warning": confirmation_info["warning"],
        "mediation_confirmation_window_closed": confirmation_info["window_closed"],
        "mediation_return_visits": [],
        "mediation_referrals": [],
        "mediation_extensions": [],
    }
    if mediator:
        context["mediation_return_visits"] = list(
            ReturnVisit.objects.filter(dispute_id=dispute.pk)
            .select_related("visitor")
            .order_by("due_on", "pk")
        )
    if internal:
        context["mediation_referrals"] = list(
            Referral.objects.filter(dispute_id=dispute.pk)
            .select_related("party")
            .order_by("referred_at", "pk")
        )
        context["mediation_extensions"] = list(
            Extension.objects.filter(dispute_id=dispute.pk)
            .select_related("recorded_by")
            .order_by("recorded_at", "pk")
        )
    # Ids of their own: the dispute page holds other blocks' forms too.
    if offers["session"]:
        context["mediation_session_form"] = SessionForm(
            dispute=dispute, auto_id="mediation_session_%s"
        )
    if offers["agreement"]:
        context["mediation_agreement_form"] = AgreementForm(
            dispute=dispute, auto_id="mediation_agreement_%s"
        )
    if offers["fail"]:
        context["mediation_fail_form"] = FailForm(auto_id="mediation_fail_%s")
    if offers["extend"]:
        context["mediation_extend_form"] = ExtendForm(auto_id="mediation_extend_%s")
    if offers["referral"]:
        context["mediation_referral_form"] = ReferralForm(
            dispute=dispute, auto_id="mediation_referral_%s"
        )
    if offers["confirmation"]:
        context["mediation_confirmation_form"] = ConfirmationForm(
            dispute=dispute, auto_id="mediation_confirmation_%s"
        )
    return context


def party_label_for(party: Party, user, internal: bool) -> str:
    """A party's name as the user may see it: residents see others' names masked."""
    return party.name if internal or _is_own(party, user) else party.masked_name


# --- Pages that change a dispute's mediation ---------------------------------------------


class MediationFormView(FormView):
    """A form about one dispute whose valid data goes to one service call; its errors
    keep the page and the input. A role that can never do `action` to disputes gets 403;
    a dispute out of scope 404; one the user sees but may not change 403."""

    template_name = "disputes/mediation/form.html"
    action = Action.CHANGE
    heading = ""
    submit_label = gettext_lazy("Save")
    success_message = gettext_lazy("Saved.")

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, self.action, DISPUTE):
            raise PermissionDenied
        self.dispute = self.get_dispute()
        if not can(request.user, self.action, self.dispute.case):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def visible_disputes(self):
        return Dispute.objects.visible_to(self.request.user)

    def get_dispute(self) -> Dispute:
        return get_visible_or_404(
            Dispute.objects.select_related("case__community", "case__rule_set", "category"),
            self.request.user,
            pk=self.kwargs["pk"],
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **self.form_kwargs()}

    def form_kwargs(self) -> dict:
        return {"dispute": self.dispute}

    def get_intro(self) -> str:
        return ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            dispute=self.dispute,
            case=self.dispute.case,
            heading=self.heading,
            intro=self.get_intro(),
            submit_label=self.submit_label,
            back_url=dispute_url(self.dispute.pk),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            self.act(form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(dispute_url(self.dispute.pk))

    def act(self, data: dict) -> None:
        raise NotImplementedError


class RowFormView(MediationFormView):
    """A form about one row of a dispute (a session, a return visit, a referral)."""

    model = None
    related = ()

    def get_dispute(self) -> Dispute:
        self.object = get_object_or_404(
            self.model.objects.filter(dispute__in=self.visible_disputes()).select_related(
                "dispute__case__community",
                "dispute__case__rule_set",
                "dispute__category",
                *self.related,
            ),
            pk=self.kwargs["pk"],
        )
        return self.object.dispute

    def form_kwargs(self) -> dict:
        return {}


class PanelView(MediationFormView):
    form_class = PanelForm
    action = Action.ASSIGN
    heading = gettext_lazy("Mediation panel")
    submit_label = gettext_lazy("Confirm the panel")
    success_message = gettext_lazy("The panel is confirmed.")

    def get_intro(self):
        return _(
            "The category suggests one mediator for each kind of body it needs. The lead "
            "handles the case."
        )

    def get_context_data(self, **kwargs):
        links = [
            (
                reverse("disputes:mediator_add", args=[self.dispute.pk]),
                _("Add a mediator to the pool"),
            )
        ]
        return super().get_context_data(links=links, **kwargs)

    def act(self, data):
        services.panel_confirm(
            actor=self.request.user,
            dispute=self.dispute,
            mediators=list(data["mediators"]),
            lead=data["lead"],
        )


class MediatorAddView(MediationFormView):
    form_class = MediatorForm
    action = Action.ASSIGN
    heading = gettext_lazy("Add a mediator to the pool")
    submit_label = gettext_lazy("Add the mediator")
    success_message = gettext_lazy("The mediator is in the pool; confirm the panel next.")

    def form_kwargs(self):
        return {"community": self.dispute.case.community}

    def get_intro(self):
        return _("The mediator joins the pool of %(community)s and can sit on its panels.") % {
            "community": self.dispute.case.community
        }

    def act(self, data):
        services.mediator_add(
            actor=self.request.user, community=self.dispute.case.community, **data
        )


class SessionCreateView(MediationFormView):
    form_class = SessionForm
    heading = gettext_lazy("Schedule a mediation session")
    submit_label = gettext_lazy("Schedule the session")
    success_message = gettext_lazy("The session is scheduled; those attending will be reminded.")

    def act(self, data):
        services.session_schedule(
            actor=self.request.user,
            dispute=self.dispute,
            format=data["format"],
            starts_at=data["starts_at"],
            place=data["place"],
            parties=list(data["parties"]),
            mediators=list(data["mediators"]),
        )


class SessionMinutesView(RowFormView):
    model = Session
    form_class = MinutesForm
    heading = gettext_lazy("Minutes of the session")
    submit_label = gettext_lazy("Save the minutes")
    success_message = gettext_lazy("The minutes are saved.")

    def get_initial(self):
        return {"minutes": self.object.minutes}

    def get_intro(self):
        session = self.object
        return _("%(format)s on %(when)s at %(place)s.") % {
            "format": session.get_format_display(),
            "when": timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M"),
            "place": session.place,
        }

    def act(self, data):
        services.session_record(actor=self.request.user, session=self.object, **data)


class AgreementCreateView(MediationFormView):
    form_class = AgreementForm
    heading = gettext_lazy("Record the agreement")
    submit_label = gettext_lazy("Record the agreement")
    success_message = gettext_lazy("The agreement is recorded; the return visit is scheduled.")

    def get_intro(self):
        return _(
            "A written agreement states the parties, the facts, responsibilities, terms and "
            "the performance deadline (People's Mediation Law Art. 29); it is numbered when "
            "recorded and can then be printed for signing."
        )

    def act(self, data):
        services.agreement_record(actor=self.request.user, dispute=self.dispute, **data)


class FailView(MediationFormView):
    form_class = FailForm
    action = Action.CLOSE
    heading = gettext_lazy("Mediation failed")
    submit_label = gettext_lazy("End the mediation and refer")
    success_message = gettext_lazy("The mediation is ended and the parties are referred.")

    def form_kwargs(self):
        return {}

    def get_intro(self):
        return _(
            "The mediation ends without agreement and the parties are told of other routes "
            "(People's Mediation Law Art. 26); the case is closed as failed."
        )

    def act(self, data):
        services.mediation_fail(actor=self.request.user, dispute=self.dispute, **data)


class CloseView(MediationFormView):
    form_class = CloseForm
    action = Action.CLOSE
    heading = gettext_lazy("Close the dispute")
    submit_label = gettext_lazy("Close the dispute")
    success_message = gettext_lazy("The dispute is closed.")

    def form_kwargs(self):
        return {}

    def get_intro(self):
        return _(
            "A dispute closes as settled once it has an agreement, or as it ended when the "
            "mediation failed or a party refused."
        )

    def act(self, data):
        services.dispute_close(actor=self.request.user, dispute=self.dispute)


class ExtendView(MediationFormView):
    form_class = ExtendForm
    heading = gettext_lazy("Extend the time limit")
    submit_label = gettext_lazy("Extend")
    success_message = gettext_lazy("The time limit is extended.")

    def form_kwargs(self):
        return {}

    def get_intro(self):
        due = self.dispute.case.due_at
        if due is None or self.dispute.case.status not in services.PANEL_STATUSES:
            return _("The mediation's time limit runs only until the mediation has an outcome.")
        return _(
            "Now due %(due)s. The time limit is extended only with the parties' consent, "
            "which is recorded."
        ) % {"due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")}

    def act(self, data):
        services.dispute_extend(actor=self.request.user, dispute=self.dispute, **data)


class ReturnVisitView(RowFormView):
    model = ReturnVisit
    form_class = ReturnVisitForm
    heading = gettext_lazy("Record the return visit")
    submit_label = gettext_lazy("Record the visit")
    success_message = gettext_lazy("The return visit is recorded.")

    def get_intro(self):
        return _("Due on %(date)s: is the agreement kept, and how satisfied are the parties?") % {
            "date": self.object.due_on.isoformat()
        }

    def act(self, data):
        services.return_visit_record(actor=self.request.user, visit=self.object, **data)


class ConfirmationView(MediationFormView):
    form_class = ConfirmationForm
    heading = gettext_lazy("Application for judicial confirmation")
    submit_label = gettext_lazy("Record the application")
    success_message = gettext_lazy("The application is recorded.")

    def get_intro(self):
        agreement = Agreement.objects.filter(dispute_id=self.dispute.pk).first()
        if agreement is None:
            return _("There is no agreement to confirm.")
        last_day = services.confirmation_last_day(
            agreement, services.dispute_rules(self.dispute.case)
        )
        return _("Both parties apply jointly to a court; the last day to apply is %(date)s.") % {
            "date": last_day.isoformat()
        }

    def act(self, data):
        services.confirmation_apply(actor=self.request.user, dispute=self.dispute, **data)


class ConfirmationResultView(MediationFormView):
    form_class = ConfirmationResultForm
    heading = gettext_lazy("The court's decision")
    submit_label = gettext_lazy("Record the decision")
    success_message = gettext_lazy("The court's decision is recorded.")

    def get_dispute(self):
        dispute = super().get_dispute()
        self.confirmation = get_object_or_404(
            JudicialConfirmation.objects.select_related("court"), dispute_id=dispute.pk
        )
        return dispute

    def form_kwargs(self):
        return {}

    def get_initial(self):
        return {"result_on": timezone.localdate()}

    def get_intro(self):
        return _("Applied for at %(court)s on %(date)s.") % {
            "court": self.confirmation.court,
            "date": self.confirmation.applied_on.isoformat(),
        }

    def act(self, data):
        services.confirmation_result(
            actor=self.request.user, confirmation=self.confirmation, **data
        )


class ReferralCreateView(MediationFormView):
    form_class = ReferralForm
    heading = gettext_lazy("Refer from the clinic")
    submit_label = gettext_lazy("Refer")
    success_message = gettext_lazy("The referral is recorded.")

    def act(self, data):
        services.referral_add(actor=self.request.user, dispute=self.dispute, **data)


class ReferralOutcomeView(RowFormView):
    model = Referral
    form_class = ReferralOutcomeForm
    heading = gettext_lazy("Outcome of the referral")
    submit_label = gettext_lazy("Save the outcome")
    success_message = gettext_lazy("The outcome is saved.")

    def get_initial(self):
        return {"outcome": self.object.outcome}

    def get_intro(self):
        return self.object.get_kind_display()

    def act(self, data):
        services.referral_outcome(actor=self.request.user, referral=self.object, **data)


# --- The printable agreement -------------------------------------------------------------


class AgreementPrintView(TemplateView):
    """The agreement as a document to print and sign (人民调解协议书): number, parties
    (phones masked; residents see other parties' names masked), facts, responsibilities,
    terms, deadline, effective date, and room for signatures and the committee's seal."""

    template_name = "disputes/mediation/agreement_print.html"

    def document_language(self) -> str:
        """Chinese, the language of the document, unless `?lang=` asks for another."""
        asked = self.request.GET.get("lang", "")
        return asked if asked in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    def get(self, request, *args, **kwargs):
        language = self.document_language()
        with translation.override(language):
            response = super().get(request, *args, **kwargs)
            response.render()
        response.headers["Content-Language"] = language
        return response

    def get_context_data(self, **kwargs):
        user = self.request.user
        dispute = get_visible_or_404(
            Dispute.objects.select_related("case__community", "case__rule_set"),
            user,
            pk=self.kwargs["pk"],
        )
        agreement = get_object_or_404(Agreement, dispute_id=dispute.pk)
        case = dispute.case
        staff = sees_internal(user, case) or on_panel(user, dispute)
        parties = [
            {
                "party": party,
                "name": party.name if staff or _is_own(party, user) else party.masked_name,
                "phone": party.masked_phone
                or (party.person.masked_phone if party.person_id else ""),
            }
            for party in Party.objects.filter(dispute_id=dispute.pk)
            .select_related("person")
            .order_by("role", "pk")
        ]
        mediators = [
            member.mediator
            for member in PanelMember.objects.filter(dispute_id=dispute.pk)
            .select_related("mediator")
            .order_by("-is_lead", "mediator__name", "pk")
        ]
        return super().get_context_data(
            dispute=dispute,
            case=case,
            agreement=agreement,
            parties=parties,
            mediators=mediators,
            committee=case.community.name,
            confirmation_window_days=services.dispute_rules(case)["confirmation_window_days"],
            other_languages=[
                (code, translation.get_language_info(code)["name_local"])
                for code, _name in settings.LANGUAGES
                if code != self.document_language()
            ],
            back_url=dispute_url(dispute.pk),
            **kwargs,
        )


def _is_own(party: Party, user) -> bool:
    return party.user_id == user.pk or (
        party.person_id is not None and party.person.user_id == user.pk
    )


__all__ = [
    "AgreementCreateView",
    "AgreementPrintView",
    "CloseView",
    "ConfirmationResultView",
    "ConfirmationView",
    "ExtendView",
    "FailView",
    "MediatorAddView",
    "PanelView",
    "ReferralCreateView",
    "ReferralOutcomeView",
    "ReturnVisitView",
    "SessionCreateView",
    "SessionMinutesView",
    "mediation_context",
]
