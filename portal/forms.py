"""Forms for accounts and memberships; they word errors, services enforce rules."""

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from .models import Area
from .personal import normalise_phone, validate_mobile
from .querysets import area_labels
from .roles import Role
from .scope import grantable_areas, grantable_roles, may_grant


class AreaChoiceField(forms.ModelChoiceField):
    """Areas shown with their place in the tree, labelled in one query."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._labels = None

    def label_from_instance(self, obj):
        if self._labels is None:
            self._labels = area_labels(self.queryset)
        return self._labels.get(obj.pk, obj.name)


class PhoneField(forms.CharField):
    default_validators = [validate_mobile]

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def to_python(self, value):
        return normalise_phone(super().to_python(value))


class RoleAtAreaForm(forms.Form):
    """A role and the area it is held at, limited to what the actor may grant."""

    role = forms.ChoiceField(label=_("Role"))
    area = AreaChoiceField(queryset=Area.objects.none(), label=_("Where"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        roles = grantable_roles(actor)
        self.fields["role"].choices = [(r, Role(r).label) for r in roles]
        areas = Area.objects.none()
        for role in roles:
            areas = areas | grantable_areas(actor, role)
        self.fields["area"].queryset = areas.order_by("path")
        self.fields["area"].help_text = _(
            "Residents, staff and party secretaries belong to a community; grid workers to a grid."
        )

    def clean(self):
        cleaned = super().clean()
        role, area = cleaned.get("role"), cleaned.get("area")
        if role and area and not may_grant(self.actor, role, area):
            self.add_error(
                "area",
                forms.ValidationError(
                    _("A %(role)s cannot be placed at %(area)s."),
                    code="wrong_level",
                    params={"role": Role(role).label, "area": area.name},
                ),
            )
        return cleaned


class AccountCreateForm(RoleAtAreaForm):
    display_name = forms.CharField(label=_("Name"), max_length=100)
    phone = PhoneField(help_text=_("The phone number is the login name."))

    field_order = ["display_name", "phone", "role", "area"]


class RegistrationForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=100)
    phone = PhoneField(
        help_text=_(
            "You will log in with this number; your community office uses it only to "
            "contact you about your requests."
        )
    )
    community = AreaChoiceField(
        queryset=Area.objects.communities().order_by("path"), label=_("Your community")
    )
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=100)
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("Optional; needed only to reset your password yourself."),
    )


# --- Case kit ---------------------------------------------------------------------


class CaseCommentForm(forms.Form):
    comment = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))
    public = forms.BooleanField(
        label=_("Reply to the resident (shown on the status page)"), required=False
    )


class CaseAssignForm(forms.Form):
    handler = forms.ModelChoiceField(queryset=None, label=_("Handler"), required=False)
    organisation = forms.ModelChoiceField(
        queryset=None, label=_("Hand over to an organisation"), required=False
    )
    comment = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, handlers, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handlers
        self.fields["organisation"].queryset = organisations

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("handler") and not cleaned.get("organisation"):
            raise forms.ValidationError(_("Choose a handler or an organisation."), code="nobody")
        return cleaned


class CaseCloseForm(forms.Form):
    status = forms.ChoiceField(label=_("Outcome"))
    comment = forms.CharField(
        label=_("Reply to the resident"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = statuses


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the handling?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        help_text=_("5 is very satisfied, 1 is not satisfied at all."),
    )
    solved = forms.TypedChoiceField(
        label=_("Is the problem solved?"),
        coerce=lambda value: value == "yes",
        choices=[("yes", _("Yes, solved")), ("no", _("No, please reopen it"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StatusLookupForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=20,
        help_text=_("As on your receipt, e.g. JF-2026-000123."),
    )
    phone = PhoneField(help_text=_("The number you gave when you filed it."))

    def clean_reference(self):
        return self.cleaned_data["reference"].strip().upper()


class FollowUpDoneForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """The dashboard's period; either end may be left to its default."""

    start = forms.DateField(label=_("From"), required=False, widget=_date_input())
    end = forms.DateField(label=_("To"), required=False, widget=_date_input())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period must end after it starts."), code="order")
        return data


# two-factor login: added here
class AuthenticatorCodeForm(forms.Form):
    """The six-digit code an authenticator app shows, to confirm its set-up."""

    token = forms.RegexField(
        label=_("Code from the app"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        max_length=8,
        error_messages={"invalid": _("Enter the six digits the app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class SecondFactorForm(forms.Form):
    """The second login step: an authenticator code or one of the recovery codes."""

    token = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class PrivacyNoticeForm(forms.Form):
    """A new version of the privacy notice (个人信息保护告知)."""

    controller = forms.CharField(
        label=_("Personal information handler"),
        max_length=200,
        help_text=_("Who runs this portal, e.g. the district civil affairs bureau."),
    )
    contact = forms.CharField(
        label=_("Contact for personal information requests"),
        max_length=200,
        help_text=_("A phone number or address where residents can ask about their data."),
    )
    body_zh = forms.CharField(
        label=_("Notice (Chinese)"), widget=forms.Textarea(attrs={"rows": 14})
    )
    body_en = forms.CharField(
        label=_("Notice (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Optional; the Chinese text is shown when it is empty."),
    )


# --- Staff hand-over ------------------------------------------------------------


class SuccessorField(forms.ModelChoiceField):
    """Colleagues by name and masked login (logins are often phone numbers)."""

    def label_from_instance(self, obj):
        from .audit import account_label

        return account_label(obj)


class HandOverForm(forms.Form):
    """A colleague to take a leaving worker's open work; optionally deactivate after."""

    successor = SuccessorField(queryset=None, label=_("Hand the work to"))
    deactivate = forms.BooleanField(required=False, label=_("Then deactivate the account"))

    def __init__(self, *args, actor, leaving, **kwargs):
        from .services.handover import successor_choices

        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = successor_choices(actor=actor, leaving=leaving)
