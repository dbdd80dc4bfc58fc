"""What every page of the shell needs: navigation for this user and the text size."""

from .models import Notification
from .registry import registry
from .views.shell import TEXT_SIZE_COOKIE


def shell(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "nav_items": registry.nav_for(user) if signed_in else [],
        # Lazy: only pages that show the bell pay for the count.
        "unread_notifications": (
            (lambda: Notification.objects.filter(user=user, read_at__isnull=True).count())
            if signed_in
            else 0
        ),
        "large_text": request.COOKIES.get(TEXT_SIZE_COOKIE) == "large",
    }
