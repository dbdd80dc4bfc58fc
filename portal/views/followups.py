"""My follow-ups and the notification bell."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from ..forms import FollowUpDoneForm
from ..models import FollowUp, Notification
from ..registry import registry
from ..services import followups
from .shell import safe_next


class MyFollowUpsView(ListView):
    """Overdue, today and upcoming follow-ups for me or a role I hold; filter by kind."""

    template_name = "portal/my_follow_ups.html"
    paginate_by = 50

    def get_queryset(self):
        follow_ups = (
            FollowUp.objects.for_user(self.request.user)
            .pending()
            .select_related("case")
            .order_by("due_at", "pk")
        )
        if kind := self.request.GET.get("kind"):
            follow_ups = follow_ups.filter(case__kind=kind)
        return follow_ups

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        today = timezone.localdate(now)
        sections = {"overdue": [], "today": [], "upcoming": []}
        for follow_up in context["object_list"]:
            if follow_up.due_at < now:
                sections["overdue"].append(follow_up)
            elif timezone.localdate(follow_up.due_at) == today:
                sections["today"].append(follow_up)
            else:
                sections["upcoming"].append(follow_up)
        context.update(
            sections=[
                (_("Overdue"), sections["overdue"]),
                (_("Today"), sections["today"]),
                (_("Coming up"), sections["upcoming"]),
            ],
            kinds=[(k.name, k.label_plural) for k in registry.case_kinds.values()],
            done_form=FollowUpDoneForm(),
        )
        return context


class FollowUpDoneView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        follow_up = get_object_or_404(FollowUp.objects.for_user(request.user).pending(), pk=pk)
        form = FollowUpDoneForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        followups.followup_complete(follow_up=follow_up, actor=request.user, note=note)
        messages.success(request, _("Marked as done."))
        return redirect("portal:my_follow_ups")


class NotificationListView(ListView):
    template_name = "portal/notifications.html"
    paginate_by = 30

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user).order_by("-created_at", "-pk")


class NotificationOpenView(View):
    """Mark one notification read and go where it points."""

    http_method_names = ["post"]

    def post(self, request, pk):
        notification = get_object_or_404(Notification, pk=pk, user=request.user)
        followups.notifications_mark_read(user=request.user, pk=notification.pk)
        if notification.url:
            return redirect(notification.url)
        return redirect("portal:notifications")


class NotificationsReadAllView(View):
    http_method_names = ["post"]

    def post(self, request):
        followups.notifications_mark_read(user=request.user)
        return redirect(safe_next(request, fallback="/notifications/"))
