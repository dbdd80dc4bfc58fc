"""The clinic's pages: the dispute queue, a dispute with its dossier checklist, and
"My cases" for mediators."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView
from django_filters.views import FilterView

from portal.paging import CASE_QUEUE_SEGMENTS, keyset_page, pk_url
from portal.querysets import sees_internal
from portal.registry import registry
from portal.roles import Action, Role
from portal.scope import get_visible_or_404, may, reach, roles_of

from ..dossier import dossier
from ..filters import DisputeFilter, category_label
from ..models import Dispute, Mediator, PanelMember, Risk

DISPUTE = "disputes.dispute"
# Roles whose members may sit on a mediation panel or handle a dispute.
MEDIATING_ROLES = frozenset(
    {
        Role.COMMUNITY_STAFF,
        Role.PARTY_SECRETARY,
        Role.GRID_WORKER,
        Role.SUBDISTRICT_STAFF,
        Role.ORGANISATION_MEMBER,
    }
)


def works_in_clinic(user) -> bool:
    """Does the user reach disputes as staff (an area or an organisation), not only as a
    resident? Residents follow their own disputes on "My requests"."""
    r = reach(user, DISPUTE, Action.VIEW)
    return r.everything or bool(r.area_paths or r.organisation_ids)


def is_mediator(user) -> bool:
    """Has the user an entry in the mediator pool (remembered for the request)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_disputes_is_mediator", None)
    if cached is None:
        cached = user._disputes_is_mediator = Mediator.objects.filter(user=user).exists()
    return cached


def may_have_cases(user) -> bool:
    """Whom "My cases" is offered to: mediators, staff and organisation members."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or bool(roles_of(user) & MEDIATING_ROLES) or is_mediator(user)


def with_lead_name(disputes):
    """Each dispute with `lead_name`: its lead mediator's name, or None (a panel has one
    lead at most). A subquery the database runs for the page's rows only."""
    lead = PanelMember.objects.filter(dispute=OuterRef("pk"), is_lead=True)
    return disputes.annotate(lead_name=Subquery(lead.values("mediator__name")[:1]))


def open_first(disputes):
    """Open disputes first, soonest due first; then the most recently closed."""
    return disputes.order_by(
        F("case__closed_at").desc(nulls_first=True), "case__due_at", "-case__created_at"
    )


# What a row of the dispute table shows (its case's mark and dates included); a dispute's
# facts and the rest of its case stay unread.
ROW_FIELDS = [
    "risk",
    "category__name",
    "category__name_en",
    *(
        f"case__{field}"
        for field in (
            "kind",
            "reference",
            "title",
            "status",
            "handler",
            "due_at",
            "escalated_at",
            "supervised_at",
            "created_at",
            "closed_at",
        )
    ),
]

# Django's get_risk_display() rebuilds the choices' dict on every call (11 µs a row).
RISK_LABELS = dict(Risk.choices)

RISK_BADGES = {
    Risk.RED: "text-bg-danger",
    Risk.ORANGE: "text-bg-warning",
    Risk.YELLOW: "text-bg-light border",
}


def _decorate(dispute: Dispute, url=None) -> Dispute:
    """The category in the page's language, the risk badge's colour and label, the status
    label, the page's address and the closing or due day, for templates (computed here
    once, in Python: lists show many rows and each template lookup costs)."""
    dispute.category_label = category_label(dispute.category)
    dispute.risk_class = RISK_BADGES.get(dispute.risk, "text-bg-secondary")
    dispute.status_label = registry.case_kinds["disputes.dispute"].status_label(dispute.case.status)
    dispute.url = (url or pk_url("disputes:dispute_detail"))(dispute.pk)
    dispute.risk_label = RISK_LABELS.get(dispute.risk, dispute.risk)
    case = dispute.case
    if case.closed_at:
        dispute.when = f"{_('closed')} {timezone.localdate(case.closed_at):%Y-%m-%d}"
    else:
        dispute.when = f"{timezone.localdate(case.due_at):%Y-%m-%d}" if case.due_at else "—"
    return dispute


# --- The queue ------------------------------------------------------------------------


class QueueView(FilterView):
    """Disputes in scope, filterable, with lead mediator, due date and the kit's marks."""

    template_name = "disputes/queue.html"
    filterset_class = DisputeFilter
    per_page = 25

    def dispatch(self, request, *args, **kwargs):
        if not works_in_clinic(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # The kind is implied by the join; naming it lets the database use the case
        # table's per-kind keyset indexes.
        disputes = Dispute.objects.visible_to(self.request.user).filter(
            case__kind="disputes.dispute"
        )
        return with_lead_name(disputes.select_related("case", "category").only(*ROW_FIELDS))

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = keyset_page(
            context["object_list"],
            CASE_QUEUE_SEGMENTS,
            self.request.GET.get("after"),
            self.per_page,
        )
        url = pk_url("disputes:dispute_detail")
        for dispute in page:
            _decorate(dispute, url)
        context["object_list"] = page.object_list
        context["keyset"] = page
        context["may_export"] = may(self.request.user, Action.EXPORT, DISPUTE)
        return context


# --- A dispute ------------------------------------------------------------------------


class DisputeDetailView(TemplateView):
    """One dispute: facts and classification, the intake block (parties, masked for
    residents, and the case it was turned from), the mediation block, the dossier
    checklist for staff, and the kit's timeline (public entries only for residents)."""

    template_name = "disputes/dispute_detail.html"

    def get_context_data(self, **kwargs):
        # The intake and mediation blocks are their own modules' business.
        from .intake import intake_context
        from .mediation import mediation_context

        user = self.request.user
        dispute = get_visible_or_404(
            Dispute.objects.select_related(
                "case__community",
                "case__handler",
                "case__organisation",
                "category",
                "estate",
                # The one-to-one records the blocks show, in the same query.
                "agreement",
                "confirmation__court",
                "booking__slot",
            ),
            user,
            pk=self.kwargs["pk"],
        )
        case = _decorate(dispute).case
        staff = sees_internal(user, case)
        # The page names the organisation a case went to, not who moved it.
        timeline = case.timeline.select_related("to_organisation")
        if not staff:
            timeline = timeline.filter(is_public=True)
        timeline = list(timeline)
        intake = intake_context(dispute, user)
        mediation = mediation_context(dispute, user)
        context = {
            "dispute": dispute,
            "case": case,
            "kind": registry.case_kinds.get(case.kind),
            "staff_view": staff,
            "timeline": timeline,
            # From what the blocks loaded: staff see the whole file, return visits too.
            "dossier": dossier(
                dispute,
                parties=[row.party for row in intake["intake_parties"]],
                sessions=[session for session, *_rest in mediation["mediation_sessions"]],
                agreement=mediation["mediation_agreement"],
                return_visits=mediation["mediation_return_visits"],
                timeline=timeline,
            )
            if staff
            else [],
            **intake,
            **mediation,
        }
        context.update(kwargs)
        return super().get_context_data(**context)


# --- My cases -------------------------------------------------------------------------


class MyCasesView(ListView):
    """Disputes where the user sits on the panel or is the handler, open first. Users who
    have none see an empty list with a word on how one gets cases."""

    template_name = "disputes/my_cases.html"
    paginate_by = 25

    def get_queryset(self):
        user = self.request.user
        mine = PanelMember.objects.filter(dispute=OuterRef("pk"), mediator__user=user)
        disputes = (
            Dispute.objects.visible_to(user)
            .filter(
                Q(pk__in=PanelMember.objects.filter(mediator__user=user).values("dispute_id"))
                | Q(case__handler=user)
            )
            .select_related("case", "category")
            .only(*ROW_FIELDS)
            .annotate(on_panel=Exists(mine), i_lead=Exists(mine.filter(is_lead=True)))
        )
        return open_first(disputes)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        url = pk_url("disputes:dispute_detail")
        for dispute in context["object_list"]:
            _decorate(dispute, url)
        context["is_mediator"] = is_mediator(self.request.user)
        return context


__all__ = [
    "DisputeDetailView",
    "MyCasesView",
    "QueueView",
    "is_mediator",
    "may_have_cases",
    "works_in_clinic",
]
