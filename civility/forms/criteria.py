"""Forms and filters of the criteria and site pages; services enforce the rules, these
only parse and word the input."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from housing.services.importing import MAX_BYTES, XLSX_CONTENT_TYPE
from portal.models import Area, Organisation

from ..models import CriteriaSet, Site, SiteType

ACCEPT = ".xlsx,.csv,text/csv," + XLSX_CONTENT_TYPE


class AreaChoiceField(forms.ModelChoiceField):
    """Areas shown with their level, indented by depth so the tree reads as a tree."""

    def label_from_instance(self, obj):
        indent = "\u3000" * max(obj.depth - 2, 0)
        return f"{indent}{obj.name}（{obj.get_level_display()}）"


class AreaFilter(django_filters.ModelChoiceFilter):
    """An area filter that stands for the area's whole subtree."""

    field_class = AreaChoiceField

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return qs.filter(area__path__startswith=value.path)


class CriteriaSetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.area.name} · {obj.valid_from:%Y-%m-%d}"


class CriteriaImportForm(forms.Form):
    """The set's details and its spreadsheet; `checked` carries the dry run's digest."""

    name = forms.CharField(
        label=_("Name of the set"),
        max_length=200,
        help_text=_("E.g. 瑞安市文明城市创建测评标准（2024版）."),
    )
    area = AreaChoiceField(
        label=_("Area"),
        queryset=Area.objects.none(),
        help_text=_("The set is in force for this area and every area below it."),
    )
    valid_from = forms.DateField(
        label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    previous = CriteriaSetChoiceField(
        label=_("Replaces the set"),
        queryset=CriteriaSet.objects.none(),
        required=False,
        empty_label=_("None (a first set)"),
        help_text=_("Needed when the file's 替代条目 (replaces) column names old items."),
    )
    file = forms.FileField(
        label=_("Spreadsheet of criteria"),
        help_text=_(
            "An Excel (.xlsx) or CSV file of at most 5 MB; the first row holds the headers."
        ),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    checked = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, areas, previous_sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["previous"].queryset = previous_sets.select_related("area").order_by(
            "area__path", "-valid_from", "pk"
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(
                _("The file is larger than 5 MB. Split it into several files."),
                code="too_large",
            )
        return upload

    def confirming(self) -> bool:
        return bool(self.cleaned_data.get("checked"))

    def as_confirmation(self):
        """The same details as hidden fields, for the second step's form."""
        for name in ("name", "area", "valid_from", "previous"):
            self.fields[name].widget = forms.HiddenInput()
        return self


class CriteriaSetFilter(django_filters.FilterSet):
    area = AreaFilter(label=_("Area"), queryset=Area.objects.none(), empty_label=_("All areas"))

    class Meta:
        model = CriteriaSet
        fields = ["area"]

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["area"].queryset = areas


class SiteForm(forms.ModelForm):
    area = AreaChoiceField(label=_("Area"), queryset=Area.objects.none())

    class Meta:
        model = Site
        fields = ["type", "name", "area", "address", "responsible_unit"]
        help_texts = {
            "responsible_unit": _(
                "The department or subdistrict office that answers for what is found here."
            ),
        }

    def __init__(self, *args, areas, units, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The current place and unit stay choosable even where the editor could not
            # pick them afresh; the service decides.
            areas = areas | Area.objects.filter(pk=self.instance.area_id)
            units = units | Organisation.objects.filter(pk=self.instance.responsible_unit_id)
        self.fields["area"].queryset = areas.distinct().order_by("path")
        self.fields["responsible_unit"].queryset = units.distinct().order_by("name")

    def _post_clean(self):
        # The service validates the whole site; the model's own full_clean would word
        # the same errors a second time.
        pass


class SiteFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(
        label=_("Type"), choices=SiteType.choices, empty_label=_("All types")
    )
    area = AreaFilter(label=_("Area"), queryset=Area.objects.none(), empty_label=_("All areas"))
    responsible_unit = django_filters.ModelChoiceFilter(
        label=_("Responsible unit"),
        queryset=Organisation.objects.none(),
        empty_label=_("All units"),
    )

    class Meta:
        model = Site
        fields = ["type", "area", "responsible_unit"]

    def __init__(self, *args, areas, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["area"].queryset = areas
        self.filters["responsible_unit"].queryset = units
