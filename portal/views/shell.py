"""Pages of the shell: home, text size, health."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from ..querysets import area_labels
from ..scope import active_memberships

TEXT_SIZE_COOKIE = "text_size"
TEXT_SIZE_MAX_AGE = 365 * 24 * 60 * 60


class HomeView(TemplateView):
    """The landing page after login; each role's panels are filled by the apps."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        memberships = active_memberships(self.request.user)
        labels = area_labels(m.area for m in memberships if m.area)
        return super().get_context_data(
            memberships=[(m, labels.get(m.area_id) or m.organisation) for m in memberships],
            **kwargs,
        )


class AboutView(TemplateView):
    """What this portal is and where to get help. Nearly empty on purpose: the benchmark
    uses it as the reference page (the logged-in shell through every middleware)."""

    template_name = "portal/about.html"


def safe_next(request, fallback: str = "/") -> str:
    """The `next` the request names, if it stays on this site; else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_not_required
@require_POST
def text_size(request):
    """Switch between normal and large text; remembered in a cookie for a year."""
    response = HttpResponseRedirect(safe_next(request))
    if request.POST.get("size") == "large":
        response.set_cookie(
            TEXT_SIZE_COOKIE, "large", max_age=TEXT_SIZE_MAX_AGE, samesite="Lax", httponly=True
        )
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE, samesite="Lax")
    return response


@login_not_required
@require_GET
@never_cache
def health(request):
    """For load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
