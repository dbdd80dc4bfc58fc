"""Forms of the public station pages: the finder's choices, the check-in and the
feedback. They parse and word the input; services enforce the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Amenity, WorkerGroup
from ..services.public import COMMENT_MAX_LENGTH, RATINGS


class FinderForm(forms.Form):
    """GET parameters of the finder; every field is optional and checked on its own, so
    one bad value never hides the list."""

    lat = forms.FloatField(
        min_value=-90,
        max_value=90,
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("The location was not understood.")},
    )
    lng = forms.FloatField(
        min_value=-180,
        max_value=180,
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("The location was not understood.")},
    )
    area = forms.ChoiceField(
        label=_("Your town or community"),
        required=False,
        error_messages={"invalid_choice": _("Choose a place from the list.")},
    )
    amenity = forms.MultipleChoiceField(
        label=_("Must have (in stock)"),
        choices=Amenity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "btn-check"}),
        error_messages={"invalid_choice": _("Choose amenities from the list.")},
    )
    open_now = forms.BooleanField(label=_("Open now only"), required=False)

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {str(o.area.pk): o.area for o in options}
        self.fields["area"].choices = [("", _("Anywhere"))] + [
            (str(o.area.pk), o.label) for o in options
        ]

    def clean(self):
        data = super().clean()
        lat, lng = data.get("lat"), data.get("lng")
        location_parsed = not (self.has_error("lat") or self.has_error("lng"))
        if location_parsed and (lat is None) != (lng is None):
            self.add_error(None, _("The location needs both a latitude and a longitude."))
        return data

    def choices(self) -> dict:
        """What the visitor chose, leaving out whatever was invalid."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        lat, lng = data.get("lat"), data.get("lng")
        location_ok = not (self.has_error("lat") or self.has_error("lng")) and not (
            self.non_field_errors()
        )
        origin = (lat, lng) if location_ok and lat is not None and lng is not None else None
        return {
            "area": self.options.get(data.get("area") or ""),
            "amenities": data.get("amenity") or [],
            "open_now_only": bool(data.get("open_now")),
            "origin": origin,
        }

    @property
    def location_errors(self) -> list:
        """Location errors, shown at the top: lat and lng are hidden inputs."""
        if not self.is_bound:
            return []
        return [*self.errors.get("lat", []), *self.errors.get("lng", []), *self.non_field_errors()]


class CheckInForm(forms.Form):
    group = forms.ChoiceField(
        label=_("Which group are you in?"),
        choices=WorkerGroup.choices,
        error_messages={
            "required": _("Tap the button of your group."),
            "invalid_choice": _("Tap one of the group buttons."),
        },
    )


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was the station?"),
        help_text=_("1 is poor, 5 is very good."),
        choices=[(n, str(n)) for n in RATINGS],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        help_text=_("Please do not write names or phone numbers."),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _("Keep the comment to %(limit_value)d characters or fewer.")
        },
    )
