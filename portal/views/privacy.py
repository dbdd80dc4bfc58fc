"""The privacy notice (public, edited by superusers) and a user's download of their data."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from ..forms import PrivacyNoticeForm
from ..services import privacy as services


@method_decorator(login_not_required, name="dispatch")
class PrivacyView(TemplateView):
    """The newest notice in the reader's language; the built-in text until one is written."""

    template_name = "portal/privacy.html"

    def get_context_data(self, **kwargs):
        notice = services.privacy_notice_current()
        body = ""
        if notice is not None:
            english = (get_language() or "").startswith("en")
            body = notice.body_en if english and notice.body_en else notice.body_zh
        return super().get_context_data(notice=notice, body=body, **kwargs)


class PrivacyEditView(FormView):
    """Superusers write a new version of the notice; every save is kept."""

    template_name = "portal/privacy_form.html"
    form_class = PrivacyNoticeForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        notice = services.privacy_notice_current()
        if notice is None:
            return {}
        return {f: getattr(notice, f) for f in ("controller", "contact", "body_zh", "body_en")}

    def form_valid(self, form):
        services.privacy_notice_publish(actor=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("The privacy notice is published."))
        return redirect("portal:privacy")


def my_data(request):
    """The user's own data as a JSON file; logged as an export."""
    content, _job = services.my_data_export(user=request.user)
    stamp = f"{timezone.localtime():%Y%m%d-%H%M}"
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response
