"""Exporting a list: the file at once when small, else a job page with its progress."""

from django.core.exceptions import BadRequest, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from ..registry import registry
from ..services import exports as services

# Query parameters that shape the request, not the list's filters.
NOT_FILTERS = {"format", "page"}


@require_GET
def export(request, provider: str):
    """GET `?format=csv|xlsx` plus the list's own filters."""
    params = {key: value for key, value in request.GET.items() if key not in NOT_FILTERS}
    try:
        result = services.export_request(
            provider_name=provider,
            user=request.user,
            params=params,
            format=request.GET.get("format", "csv"),
        )
    except ValidationError as error:
        raise BadRequest(error.messages[0]) from None
    if result.job.is_async:
        return redirect("portal:export_job", pk=result.job.pk)
    response = HttpResponse(result.content, content_type=services.CONTENT_TYPES[result.job.format])
    response["Content-Disposition"] = content_disposition_header(
        True, services.export_filename(result.job)
    )
    response["Cache-Control"] = "no-store"
    return response


class ExportJobView(TemplateView):
    template_name = "portal/export_job.html"

    def get_context_data(self, **kwargs):
        job = services.export_job_for(user=self.request.user, pk=self.kwargs["pk"])
        provider = registry.export_providers.get(job.provider)
        return super().get_context_data(
            job=job,
            label=provider.label if provider else job.provider,
            working=job.state in (job.State.QUEUED, job.State.RUNNING),
            downloadable=services.is_downloadable(job),
            **kwargs,
        )


@require_GET
def export_download(request, pk: int):
    job = services.export_job_download(user=request.user, pk=pk)
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=services.export_filename(job),
        content_type=services.CONTENT_TYPES[job.format],
    )
    response["Cache-Control"] = "no-store"
    return response
