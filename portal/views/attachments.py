"""Adding photos and scans to a case, and serving them only to those who may see them."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ..models import Attachment, Case
from ..querysets import sees_internal
from ..roles import Action
from ..scope import can, get_visible_or_404
from ..services import attachments as services
from .accounts import form_error_from

ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Photo or PDF"),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
        help_text=gettext_lazy("JPEG, PNG, WEBP or PDF."),
    )
    is_public = forms.BooleanField(label=gettext_lazy("Show to the resident"), required=False)


class AttachmentAddView(View):
    """Attach a file to a case; errors come back on a small form page, never as a 500."""

    template_name = "portal/attachment_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.case = get_visible_or_404(Case.objects.all(), request.user, pk=kwargs["pk"])
        self.staff_view = can(request.user, Action.CHANGE, self.case)
        if not self.staff_view and not services.may_attach(request.user, self.case):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, *args):
        form = AttachmentForm(*args)
        if not self.staff_view:
            # The filer's own uploads are always shown to them (see the service).
            del form.fields["is_public"]
        return form

    def render_form(self, form):
        return render(
            self.request, self.template_name, {"case": self.case, "form": form}, status=200
        )

    def get(self, request, *args, **kwargs):
        return self.render_form(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.attachment_add(
                    case=self.case,
                    actor=request.user,
                    upload=form.cleaned_data["file"],
                    is_public=form.cleaned_data.get("is_public", False),
                )
            except ValidationError as error:
                form_error_from(form, error)
        if form.errors:
            return self.render_form(form)
        messages.success(request, _("The file is attached."))
        return redirect("portal:case_detail", pk=self.case.pk)


def _served(request, pk: int) -> Attachment:
    """The attachment, if the user may see its case and, unless staff, it is public."""
    attachment = get_object_or_404(
        # An empty file is one the retention task removed.
        Attachment.objects.select_related("case__community")
        .filter(case__in=Case.objects.visible_to(request.user))
        .exclude(file=""),
        pk=pk,
    )
    if not attachment.is_public and not sees_internal(request.user, attachment.case):
        raise Http404
    return attachment


def _file_response(field_file, content_type: str, filename: str) -> FileResponse:
    response = FileResponse(
        field_file.open("rb"), content_type=content_type, filename=filename, as_attachment=False
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Scoped content: no shared cache may keep it.
    patch_cache_control(response, private=True)
    return response


def attachment_file(request, pk: int):
    attachment = _served(request, pk)
    return _file_response(attachment.file, attachment.content_type, attachment.original_name)


def attachment_thumbnail(request, pk: int):
    attachment = _served(request, pk)
    if not attachment.thumbnail:
        raise Http404
    # The thumbnail keeps its generated name: it is a JPEG whatever the original was.
    return _file_response(attachment.thumbnail, "image/jpeg", "")
