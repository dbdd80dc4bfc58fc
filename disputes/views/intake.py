"""Intake pages of the clinic: walk-in, grid referral, the resident's request or booking,
clinic slots, parties and their willingness, acceptance; and the dispute page's intake
block (`intake_context`, rendered by `disputes/_intake.html`)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView

from housing.models import Estate, Person
from housing.services.registry import find_person_by_id
from portal.forms import AreaChoiceField, PhoneField
from portal.models import Area, Case
from portal.personal import mask_name, mask_phone, validate_id_number
from portal.querysets import one_to_one, related_only, sees_internal
from portal.registry import case_url
from portal.roles import Action
from portal.scope import can, get_visible_or_404
from portal.views.accounts import form_error_from

from ..models import Booking, Category, ClinicSlot, Dispute, Party, Risk
from ..services import intake as services
from ..services.intake import DECIDING_ROLES, PartyDetails

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def dispute_url(pk: int) -> str:
    return reverse("disputes:dispute_detail", args=[pk])


# --- Fields -----------------------------------------------------------------------------


class CategoryField(forms.ModelChoiceField):
    """The dispute categories in use; the Chinese name, with the English one beside it
    when the page is not in Chinese."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Kind of dispute"))
        kwargs.setdefault("empty_label", gettext_lazy("Choose the kind of dispute"))
        super().__init__(queryset=Category.objects.filter(is_active=True), **kwargs)

    def label_from_instance(self, obj):
        if (get_language() or "").startswith("zh"):
            return obj.name
        return f"{obj.name} · {obj.name_en}"


def _datetime_field(label):
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMATS[0]),
    )


def person_on_file(user, number: str) -> Person:
    """The resident record with this ID card number, if the user may see it."""
    validate_id_number(number)
    person = find_person_by_id(number)
    if person is None or not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise forms.ValidationError(
            _("No resident with this ID card number is on file in your communities."),
            code="not_on_file",
        )
    return person


# --- Forms ------------------------------------------------------------------------------


class PartiesMixin:
    """Applicant and respondent as a name and phone, or an ID card number on file."""

    SIDES = (
        ("applicant", gettext_lazy("Applicant"), True),
        ("respondent", gettext_lazy("Respondent"), False),
    )

    def add_party_fields(self, *, on_file: bool, attrs=None):
        attrs = attrs or {}
        for prefix, label, _required in self.SIDES:
            self.fields[f"{prefix}_name"] = forms.CharField(
                label=_("%(side)s: name") % {"side": label},
                max_length=100,
                required=False,
                widget=forms.TextInput(attrs=dict(attrs)),
            )
            self.fields[f"{prefix}_phone"] = PhoneField(
                label=_("%(side)s: mobile phone") % {"side": label}, required=False
            )
            self.fields[f"{prefix}_phone"].widget.attrs.update(attrs)
            if on_file:
                self.fields[f"{prefix}_id_number"] = forms.CharField(
                    label=_("%(side)s: ID card number (a resident on file)") % {"side": label},
                    max_length=20,
                    required=False,
                    help_text=_("Optional: instead of typing the name and phone."),
                )

    def clean_parties(self, cleaned: dict) -> None:
        for prefix, _label, required in self.SIDES:
            person = None
            number = (cleaned.get(f"{prefix}_id_number") or "").strip()
            if number:
                try:
                    person = person_on_file(self.user, number)
                except forms.ValidationError as error:
                    self.add_error(f"{prefix}_id_number", error)
                    continue
            cleaned[prefix] = PartyDetails(
                name=cleaned.get(f"{prefix}_name") or "",
                phone=cleaned.get(f"{prefix}_phone") or "",
                person=person,
            )
            if required and not cleaned[prefix]:
                self.add_error(
                    f"{prefix}_name",
                    forms.ValidationError(_("Give the applicant's name."), code="required"),
                )

    def party_kwargs(self) -> dict:
        respondent = self.cleaned_data["respondent"]
        return {
            "applicant": self.cleaned_data["applicant"],
            "respondent": respondent or None,
        }


class WalkInForm(PartiesMixin, forms.Form):
    community = AreaChoiceField(queryset=Area.objects.none(), label=gettext_lazy("Community"))
    category = CategoryField()
    risk = forms.ChoiceField(
        label=gettext_lazy("Risk"),
        choices=Risk.choices,
        initial=Risk.YELLOW,
        widget=forms.RadioSelect,
    )
    facts = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    estate = forms.ModelChoiceField(
        label=gettext_lazy("Estate (optional)"), queryset=Estate.objects.none(), required=False
    )
    place = forms.CharField(
        label=gettext_lazy("Where it happened (optional)"), max_length=200, required=False
    )

    def __init__(self, *args, user, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["community"].queryset = communities
        if len(communities) == 1:
            self.fields["community"].initial = communities[0].pk
        self.fields["estate"].queryset = (
            Estate.objects.visible_to(user).filter(community__in=communities).order_by("name")
        )
        self.add_party_fields(on_file=True)

    def clean(self):
        cleaned = super().clean()
        self.clean_parties(cleaned)
        return cleaned


LARGE = {"class": "form-control form-control-lg"}


class GridReferralForm(PartiesMixin, forms.Form):
    """One column, large inputs: filled in on a phone out on the grid."""

    grid = AreaChoiceField(
        queryset=Area.objects.none(),
        label=gettext_lazy("Grid"),
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )
    category = CategoryField(widget=forms.Select(attrs={"class": "form-select form-select-lg"}))
    risk = forms.ChoiceField(
        label=gettext_lazy("Risk"),
        choices=Risk.choices,
        initial=Risk.YELLOW,
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )
    facts = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, **LARGE}),
    )
    place = forms.CharField(
        label=gettext_lazy("Where"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=LARGE),
    )

    def __init__(self, *args, user, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["grid"].queryset = grids
        if len(grids) == 1:
            # A grid worker's own grid: nothing to choose on a small screen.
            del self.fields["grid"]
        self.add_party_fields(on_file=False, attrs=LARGE)

    def clean(self):
        cleaned = super().clean()
        self.clean_parties(cleaned)
        return cleaned


class SlotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, slot):
        left = slot.capacity - slot.booked
        return _("%(day)s %(start)s–%(end)s (%(left)s of %(places)s places free)") % {
            "day": timezone.localtime(slot.starts_at).strftime("%Y-%m-%d"),
            "start": timezone.localtime(slot.starts_at).strftime("%H:%M"),
            "end": timezone.localtime(slot.ends_at).strftime("%H:%M"),
            "left": left,
            "places": slot.capacity,
        }


class AskForm(forms.Form):
    """The resident's request: mediation from the web, or a clinic slot to come and talk."""

    community = forms.ModelChoiceField(
        label=gettext_lazy("Your community"), queryset=Area.objects.none()
    )
    category = CategoryField()
    facts = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("When and where, and what you would like to be settled."),
    )
    other_party_name = forms.CharField(
        label=gettext_lazy("The other party"),
        max_length=100,
        help_text=gettext_lazy("A name, or how you know them, e.g. the neighbour in 302."),
    )
    slot = SlotChoiceField(
        label=gettext_lazy("Come to the clinic (optional)"),
        queryset=ClinicSlot.objects.none(),
        required=False,
        blank=True,
        widget=forms.RadioSelect,
        empty_label=gettext_lazy("No visit: the clinic will contact me"),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Area.objects.filter(pk__in=[c.pk for c in communities])
        if len(communities) == 1:
            del self.fields["community"]
        self.fields["slot"].queryset = services.open_slots(communities).select_related("community")


class SlotForm(forms.Form):
    community = AreaChoiceField(queryset=Area.objects.none(), label=gettext_lazy("Community"))
    starts_at = _datetime_field(gettext_lazy("From"))
    ends_at = _datetime_field(gettext_lazy("Until"))
    capacity = forms.IntegerField(
        label=gettext_lazy("Places"), min_value=1, max_value=50, initial=3
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        if len(communities) == 1:
            self.fields["community"].initial = communities[0].pk


class PartyForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Party.Role.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    phone = PhoneField(required=False)
    id_number = forms.CharField(
        label=gettext_lazy("ID card number (a resident on file)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Optional: instead of typing the name and phone."),
    )
    represents = forms.ModelChoiceField(
        label=gettext_lazy("Speaks for (representatives only)"),
        queryset=Party.objects.none(),
        required=False,
    )

    def __init__(self, *args, user, dispute, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["represents"].queryset = dispute.parties.filter(role__in=DECIDING_ROLES)

    def clean(self):
        cleaned = super().clean()
        number = (cleaned.get("id_number") or "").strip()
        cleaned["person"] = None
        if number:
            try:
                cleaned["person"] = person_on_file(self.user, number)
            except forms.ValidationError as error:
                self.add_error("id_number", error)
        return cleaned


class WillingnessForm(forms.Form):
    willing = forms.TypedChoiceField(
        label=gettext_lazy("Willing to mediate?"),
        choices=[
            ("yes", gettext_lazy("Agrees to mediation")),
            ("no", gettext_lazy("Does not agree: mediation ends")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


# --- The dispute page's intake block -------------------------------------------------------


@dataclass
class PartyRow:
    """A party as the viewer may see it."""

    party: Party
    name: str
    phone: str
    represents: str
    may_record: bool


# Of a party's resident record the block needs whose it is and whether it holds an ID
# number (the dossier); of the party represented, the name and whose it is.
PARTY_DEFERRED = [
    *related_only("person", Person, {"user", "id_number_hash"}),
    *related_only("represents", Party, {"name", "user", "person"}),
    *related_only("represents__person", Person, {"user"}),
]


def intake_context(dispute: Dispute, user) -> dict:
    """What the dispute page's intake block (`disputes/_intake.html`) shows: how it came
    in, the parties (names and phones masked for users who reach the dispute only as a
    filer or party), their willingness, and for staff who may change the dispute the
    willingness buttons, "add a party" and "accept". Keys start with `intake_`."""
    case = dispute.case
    internal = sees_internal(user, case)
    works_it = can(user, Action.CHANGE, case)
    may_change = works_it and case.closed_at is None
    parties = list(
        dispute.parties.select_related("person", "represents__person")
        .defer(*PARTY_DEFERRED)
        .order_by("role", "pk")
    )
    refused = case.status == Dispute.Status.REFUSED or any(
        p.willing is False and p.role in DECIDING_ROLES for p in parties
    )

    def shown(party: Party, field: str) -> str:
        own = party.user_id == user.pk or (
            party.person is not None and party.person.user_id == user.pk
        )
        if field == "name":
            return party.name if internal or own else mask_name(party.name)
        return party.phone if works_it or own else mask_phone(party.phone)

    rows = [
        PartyRow(
            party=p,
            name=shown(p, "name"),
            phone=shown(p, "phone"),
            represents=shown(p.represents, "name") if p.represents_id else "",
            may_record=may_change and not refused and p.role in DECIDING_ROLES,
        )
        for p in parties
    ]
    source = None
    if dispute.source_case_id:
        visible = Case.objects.visible_to(user).filter(pk=dispute.source_case_id).first()
        source = {
            "reference": visible.reference if visible else "",
            "url": case_url(visible) if visible else "",
        }
    booking = one_to_one(dispute, "booking")
    return {
        "intake_dispute": dispute,
        "intake_parties": rows,
        "intake_internal": internal,
        "intake_may_change": may_change,
        "intake_may_accept": may_change and case.status == Dispute.Status.RECEIVED and not refused,
        "intake_refused": refused,
        "intake_source": source,
        "intake_booking": booking,
    }


# --- Opening pages --------------------------------------------------------------------------


class WalkInView(FormView):
    """Staff record a dispute brought to the clinic in person."""

    template_name = "disputes/intake/walk_in.html"
    form_class = WalkInForm

    def dispatch(self, request, *args, **kwargs):
        self.communities = list(services.intake_communities(request.user).order_by("path"))
        if not self.communities:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        communities = Area.objects.filter(pk__in=[c.pk for c in self.communities])
        return {**super().get_form_kwargs(), "user": self.request.user, "communities": communities}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            dispute = services.dispute_walk_in(
                actor=self.request.user,
                community=data["community"],
                category=data["category"],
                risk=data["risk"],
                facts=data["facts"],
                estate=data["estate"],
                place=data["place"],
                **form.party_kwargs(),
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Dispute %(reference)s is recorded.") % _ref(dispute))
        return redirect(dispute_url(dispute.pk))


def _ref(dispute: Dispute) -> dict:
    return {"reference": dispute.case.reference}


class GridReferralView(FormView):
    """A grid worker hands a conflict found on the grid to the clinic, from a phone."""

    template_name = "disputes/intake/grid_referral.html"
    form_class = GridReferralForm

    def dispatch(self, request, *args, **kwargs):
        self.grids = list(services.referral_grids(request.user).order_by("path"))
        if not self.grids:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        grids = Area.objects.filter(pk__in=[g.pk for g in self.grids])
        return {**super().get_form_kwargs(), "user": self.request.user, "grids": grids}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            dispute = services.dispute_refer(
                actor=self.request.user,
                grid=data.get("grid") or self.grids[0],
                category=data["category"],
                risk=data["risk"],
                facts=data["facts"],
                place=data["place"],
                **form.party_kwargs(),
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Referred to the clinic as %(reference)s. Thank you.") % _ref(dispute),
        )
        if can(self.request.user, Action.VIEW, dispute):
            return redirect(dispute_url(dispute.pk))
        # A grid worker reaches no community's cases: another referral, then.
        return redirect("disputes:grid_referral")


class AskView(FormView):
    """A resident asks the clinic for mediation, or books a clinic slot."""

    template_name = "disputes/intake/ask.html"
    form_class = AskForm

    def dispatch(self, request, *args, **kwargs):
        self.communities = services.resident_communities(request.user)
        if not self.communities:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "communities": self.communities}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            dispute = services.dispute_ask(
                user=self.request.user,
                category=data["category"],
                facts=data["facts"],
                other_party_name=data["other_party_name"],
                community=data.get("community"),
                slot=data["slot"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Your request is %(reference)s. The clinic will contact you.") % _ref(dispute),
        )
        return redirect(dispute_url(dispute.pk))


class ClinicSlotsView(ListView):
    """The clinic's coming slots with their bookings; staff offer new ones."""

    template_name = "disputes/intake/slots.html"
    paginate_by = 25
    context_object_name = "slots"

    def dispatch(self, request, *args, **kwargs):
        self.communities = Area.objects.filter(
            pk__in=list(services.intake_communities(request.user).values_list("pk", flat=True))
        ).order_by("path")
        if not self.communities:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        bookings = Booking.objects.select_related("dispute__case").order_by("pk")
        return (
            ClinicSlot.objects.filter(community__in=self.communities, ends_at__gte=timezone.now())
            .select_related("community")
            .annotate(booked=Count("bookings"))
            .prefetch_related(Prefetch("bookings", queryset=bookings))
            .order_by("starts_at", "pk")
        )

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", SlotForm(communities=self.communities))
        context = super().get_context_data(**kwargs)
        context["days"] = [
            (day, list(group))
            for day, group in groupby(
                context["slots"], key=lambda slot: timezone.localdate(slot.starts_at)
            )
        ]
        return context

    def post(self, request, *args, **kwargs):
        form = SlotForm(request.POST, communities=self.communities)
        if form.is_valid():
            try:
                services.clinic_slot_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, _("The clinic slot is offered."))
                return redirect("disputes:slots")
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form))


# --- Pages on one dispute ---------------------------------------------------------------------


class DisputeChangeMixin:
    """The dispute named by the URL: 404 out of scope, 403 when it may only be seen."""

    def get_dispute(self, pk) -> Dispute:
        dispute = get_visible_or_404(
            Dispute.objects.select_related("case__community", "category"),
            self.request.user,
            pk=pk,
        )
        if not can(self.request.user, Action.CHANGE, dispute.case):
            raise PermissionDenied
        return dispute


class PartyAddView(DisputeChangeMixin, FormView):
    template_name = "disputes/intake/party_form.html"
    form_class = PartyForm

    def dispatch(self, request, *args, **kwargs):
        self.dispute = self.get_dispute(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "dispute": self.dispute}

    def get_context_data(self, **kwargs):
        return super().get_context_data(dispute=self.dispute, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.party_add(
                actor=self.request.user,
                dispute=self.dispute,
                role=data["role"],
                name=data["name"],
                phone=data["phone"],
                person=data["person"],
                represents=data["represents"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The party is added."))
        return redirect(dispute_url(self.dispute.pk))


class PartyWillingnessView(DisputeChangeMixin, View):
    """Record whether a party agrees to mediation (the dispute page posts here)."""

    template_name = "disputes/intake/willingness_form.html"

    def get_party(self, pk) -> Party:
        visible = Dispute.objects.visible_to(self.request.user).values("pk")
        party = get_object_or_404(
            Party.objects.select_related("dispute__case"), pk=pk, dispute__in=visible
        )
        self.get_dispute(party.dispute_id)
        return party

    def render_form(self, party, form):
        return render(self.request, self.template_name, {"party": party, "form": form})

    def get(self, request, pk):
        party = self.get_party(pk)
        return self.render_form(party, WillingnessForm())

    def post(self, request, pk):
        party = self.get_party(pk)
        form = WillingnessForm(request.POST)
        if form.is_valid():
            try:
                services.party_willingness(
                    actor=request.user, party=party, willing=form.cleaned_data["willing"]
                )
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, _("The party's answer is recorded."))
                return redirect(dispute_url(party.dispute_id))
        return self.render_form(party, form)


class AcceptView(DisputeChangeMixin, View):
    """Accept a received dispute for mediation, giving the rights-and-duties notice."""

    template_name = "disputes/intake/accept.html"

    def render_form(self, dispute, form):
        return render(
            self.request,
            self.template_name,
            {"dispute": dispute, "case": dispute.case, "form": form},
        )

    def get(self, request, pk):
        return self.render_form(self.get_dispute(pk), forms.Form())

    def post(self, request, pk):
        dispute = self.get_dispute(pk)
        form = forms.Form(request.POST)
        form.is_valid()
        try:
            services.dispute_accept(actor=request.user, dispute=dispute)
        except ValidationError as error:
            form_error_from(form, error)
            return self.render_form(dispute, form)
        messages.success(request, _("The dispute is accepted for mediation."))
        return redirect(dispute_url(dispute.pk))


__all__ = [
    "AcceptView",
    "AskView",
    "ClinicSlotsView",
    "GridReferralView",
    "PartyAddView",
    "PartyWillingnessView",
    "WalkInView",
    "intake_context",
]
