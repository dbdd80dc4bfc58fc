"""The audit pages: who opened, exported, logged in, was refused; a case's full history.

Only the AUDIT roles (and superusers) use these pages; others get 403. Rows come from
`portal.audit`, scoped by `scope.audit_visible`.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.generic import TemplateView
from django_filters.views import FilterView

from ..audit import AUDIT_LISTS, account_label
from ..middleware_audit import note_refused_target
from ..models import Case
from ..registry import registry
from ..roles import Action
from ..scope import AUDIT, get_visible_or_404, may, may_at
from ..services.handover import leftovers


class AuditMixin:
    """Pages for those who audit; others are told they may not."""

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, Action.VIEW, AUDIT):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            audit_lists=AUDIT_LISTS.values(),
            may_export=may(self.request.user, Action.EXPORT, AUDIT),
            **kwargs,
        )


class AuditIndexView(AuditMixin, TemplateView):
    """The lists, and open work left with deactivated accounts the viewer audits."""

    template_name = "portal/audit/index.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            leftovers=[(account_label(f.user), f) for f in leftovers(viewer=self.request.user)],
            **kwargs,
        )


class AuditListView(AuditMixin, FilterView):
    """One audit list: filters, a page of rows through the list's columns, export."""

    template_name = "portal/audit/list.html"
    paginate_by = 50
    list_name = ""

    @property
    def audit_list(self):
        return AUDIT_LISTS[self.list_name]

    def get_filterset_class(self):
        return self.audit_list.filterset

    def get_queryset(self):
        return self.audit_list.rows(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        columns = self.audit_list.columns
        context.update(
            current=self.audit_list,
            headers=[header for header, _accessor in columns],
            rows=[
                [accessor(row) for _header, accessor in columns] for row in context["object_list"]
            ],
        )
        return context


def _history(case, kind):
    """The case model's simple-history records, oldest first, with the fields each
    changed (names only: values may be sensitive and stay on the case's own page)."""
    model = kind.model if kind else None
    if model is None or not hasattr(model, "history"):
        return []
    records = list(
        model.history.filter(case_id=case.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    previous, out = None, []
    for record in records:
        changed = (
            [
                str(f.verbose_name)
                for f in fields
                if getattr(record, f.attname) != getattr(previous, f.attname)
            ]
            if previous is not None
            else []
        )
        out.append((record, changed))
        previous = record
    return out


class CaseHistoryView(AuditMixin, TemplateView):
    """Every timeline entry (internal ones too) and every recorded change of the case's
    own record, for auditors whose area holds the case."""

    template_name = "portal/audit/case_history.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        case = get_visible_or_404(
            Case.objects.select_related("community"), user, pk=self.kwargs["pk"]
        )
        if not may_at(user, Action.VIEW, AUDIT, case.community):
            note_refused_target(f"portal.case:{case.pk}")
            raise Http404
        kind = registry.case_kinds.get(case.kind)
        entries = case.timeline.select_related("actor", "from_organisation", "to_organisation")
        timeline = [
            (e, kind.status_label(e.status_after) if kind else e.status_after) for e in entries
        ]
        return super().get_context_data(
            case=case,
            kind=kind,
            timeline=timeline,
            history=_history(case, kind),
            **kwargs,
        )


def may_audit_case(user, case) -> bool:
    """Show the "change history" link on a case page? From loaded memberships: no query."""
    return may_at(user, Action.VIEW, AUDIT, case.community)
