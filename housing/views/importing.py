"""Importing an estate's households and residents from a spreadsheet: check, then import.

The file is never kept between the two steps: it holds clear ID card numbers, which the
registry stores only encrypted, so to import the user chooses the checked file again
and the service refuses any other file (by its digest).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.http import require_GET

from portal.roles import Action
from portal.scope import get_visible_or_404

from ..models import Estate
from ..services import importing as services

ACCEPT = ".xlsx,.csv,text/csv," + services.XLSX_CONTENT_TYPE


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet of households and residents"),
        help_text=gettext_lazy(
            "An Excel (.xlsx) or CSV file of at most 5 MB; the first row holds the "
            "column headers listed below."
        ),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > services.MAX_BYTES:
            raise ValidationError(
                _("The file is larger than 5 MB. Split it into several files."),
                code="too_large",
            )
        return upload


class ImportApplyForm(ImportForm):
    """The second step: the same file again, with the digest the check reported."""

    checked = forms.CharField(widget=forms.HiddenInput, max_length=64)
    valid_rows_only = forms.BooleanField(widget=forms.HiddenInput, required=False)

    field_order = ["file", "checked", "valid_rows_only"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("The file you have just checked.")


class EstateImportView(View):
    """GET: the upload form. POST: check the file (dry run), or import the checked file."""

    form_template = "housing/import_form.html"
    result_template = "housing/import_result.html"

    def dispatch(self, request, *args, **kwargs):
        # Roles that can import nowhere are told so (403); an estate out of reach is 404.
        if not services.may_import(request.user):
            raise PermissionDenied
        self.estate = get_visible_or_404(
            Estate.objects.select_related("community"), request.user, Action.CHANGE, pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form):
        return render(
            self.request,
            self.form_template,
            {"estate": self.estate, "form": form, "columns": services.COLUMNS},
        )

    def get(self, request, *args, **kwargs):
        return self.render_form(ImportForm())

    def post(self, request, *args, **kwargs):
        if "checked" in request.POST:
            return self.apply(ImportApplyForm(request.POST, request.FILES))
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_form(form)
        upload = form.cleaned_data["file"]
        try:
            report = services.registry_import_check(
                actor=request.user, estate=self.estate, data=upload.read(), filename=upload.name
            )
        except ValidationError as error:
            form.add_error("file", error)
            return self.render_form(form)
        apply_form = ImportApplyForm(
            initial={"checked": report.digest, "valid_rows_only": not report.is_clean}
        )
        return render(
            request,
            self.result_template,
            {"estate": self.estate, "report": report, "apply_form": apply_form},
        )

    def apply(self, form):
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.registry_import_apply(
                    actor=self.request.user,
                    estate=self.estate,
                    data=upload.read(),
                    filename=upload.name,
                    valid_rows_only=form.cleaned_data["valid_rows_only"],
                    checked_digest=form.cleaned_data["checked"],
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                messages.success(
                    self.request,
                    ngettext(
                        "Imported %(rows)d row. New: %(households)d households, "
                        "%(people)d people, %(residences)d residences.",
                        "Imported %(rows)d rows. New: %(households)d households, "
                        "%(people)d people, %(residences)d residences.",
                        result.rows_imported,
                    )
                    % {
                        "rows": result.rows_imported,
                        "households": result.households_created,
                        "people": result.people_created,
                        "residences": result.residences_created,
                    },
                )
                return redirect("housing:estate_detail", pk=self.estate.pk)
        return self.render_form(form)


@require_GET
def import_template(request):
    """The empty XLSX template with the Chinese headers."""
    if not services.may_import(request.user):
        raise PermissionDenied
    response = HttpResponse(services.import_template(), content_type=services.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, "housing-registry-import-template.xlsx"
    )
    return response
