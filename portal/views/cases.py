"""Pages of the case kit that every kind shares: the case page and its actions."""

from django.views.generic import TemplateView

from ..models import Case
from ..registry import registry
from ..roles import Action
from ..scope import can, get_visible_or_404
from ..services.cases import may_rate


class CaseDetailView(TemplateView):
    """One case of any kind: status, due date, marks, timeline, attachments, actions."""

    template_name = "portal/case_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        case = get_visible_or_404(
            Case.objects.select_related("community", "handler", "organisation", "rule_set"),
            user,
            pk=self.kwargs["pk"],
        )
        staff_view = can(user, Action.CHANGE, case)
        timeline = case.timeline.select_related("actor", "from_organisation", "to_organisation")
        attachments = case.attachments.all()
        if not staff_view:
            timeline = timeline.filter(is_public=True)
            attachments = attachments.filter(is_public=True)
        return super().get_context_data(
            case=case,
            kind=registry.case_kinds.get(case.kind),
            timeline=timeline,
            attachments=attachments,
            staff_view=staff_view,
            may_close=can(user, Action.CLOSE, case),
            may_rate=may_rate(user, case),
            **kwargs,
        )
