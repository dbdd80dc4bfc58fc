"""What every page of the shell needs: navigation for this user and the text size."""

from .registry import registry
from .views.shell import TEXT_SIZE_COOKIE


def shell(request):
    user = getattr(request, "user", None)
    nav = registry.nav_for(user) if user is not None and user.is_authenticated else []
    return {
        "nav_items": nav,
        "large_text": request.COOKIES.get(TEXT_SIZE_COOKIE) == "large",
    }
