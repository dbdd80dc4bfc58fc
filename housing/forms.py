"""Forms of the housing registry pages; services enforce the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import Area
from portal.scope import under_paths_q

from .models import CareTag, Estate, HouseholdClaim, Relation


class EstateForm(forms.ModelForm):
    class Meta:
        model = Estate
        fields = [
            "community",
            "grid",
            "name",
            "address",
            "has_party_branch",
            "owners_committee_founded_on",
        ]
        widgets = {"owners_committee_founded_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        paths = {c.path for c in communities}
        self.fields["grid"].queryset = Area.objects.filter(under_paths_q(paths), level="grid")
        self.fields["grid"].required = False


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    id_number = forms.CharField(
        label=_("ID card number"),
        max_length=20,
        required=False,
        help_text=_("18 characters; stored encrypted, shown masked."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        help_text=_("To contact the resident about their matters; shown masked."),
    )
    relation = forms.ChoiceField(label=_("Relation to the household"), choices=Relation.choices)
    ethnicity = forms.CharField(
        label=_("Ethnicity"),
        max_length=30,
        required=False,
        help_text=_("Optional. Shown only to this community's staff."),
    )
    ethnicity_reason = forms.CharField(
        label=_("Why ethnicity is recorded"),
        max_length=200,
        required=False,
        help_text=_("Required with ethnicity, e.g. “ethnic minority subsidy”."),
    )
    with_account = forms.BooleanField(
        label=_("Also open an account for this resident"),
        required=False,
        help_text=_("The mobile phone becomes the login; a one-time password is printed."),
    )
    care_tags = forms.MultipleChoiceField(
        label=_("Care needs"),
        choices=CareTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Sensitive: shown only to this community's staff and eldercare officers."),
    )
    care_tags_reason = forms.CharField(
        label=_("Why care needs are recorded"),
        max_length=200,
        required=False,
        help_text=_("Required with care needs, e.g. “home adaptation application”."),
    )

    # Ethnicity and care needs are sensitive personal information (PIPL Art. 28): they
    # are recorded only for a stated purpose, which the staff who see them see too.
    def clean(self):
        data = super().clean()
        for field, reason in (("ethnicity", "ethnicity_reason"), ("care_tags", "care_tags_reason")):
            if data.get(field) and not (data.get(reason) or "").strip():
                self.add_error(
                    reason,
                    forms.ValidationError(
                        _("Say why this is recorded, or leave it empty."), code="reason_required"
                    ),
                )
        return data


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Why do you need the full number?"), max_length=300)


class ClaimForm(forms.ModelForm):
    class Meta:
        model = HouseholdClaim
        fields = ["relation", "owner_name", "owner_id_last4"]
        help_texts = {
            "owner_id_last4": _("Only to check the request against the household's record.")
        }

    def clean_owner_id_last4(self):
        value = self.cleaned_data["owner_id_last4"].strip().upper()
        if len(value) != 4 or not (value[:3].isdigit() and (value[3].isdigit() or value[3] == "X")):
            raise forms.ValidationError(
                _("Enter the last 4 characters, e.g. 1234 or 123X."), code="last4"
            )
        return value


class ClaimDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        choices=[("yes", _("Approve")), ("no", _("Reject"))],
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class LinkAccountForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Resident account"), queryset=None)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
