"""The clinic's exports: disputes (with the queue's filters) and the concerns register.

Same scope and masking as the pages: names and phones of people leave only masked.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch
from django.utils.translation import gettext_lazy

from .filters import ConcernFilter, DisputeFilter, category_label
from .models import Agreement, Channel, Concern, Dispute, Party, Risk


def _label(choices, value: str) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value


def _filtered(filterset):
    if not filterset.is_valid():
        message = next(iter(filterset.errors.values()))[0]
        raise ValidationError(message, code="filter")
    return filterset.qs


# --- Disputes ---------------------------------------------------------------------------


def outcome(dispute: Dispute) -> str:
    """What the mediation came to: the agreement's form, a failure or a refusal; "" while
    it is open without either."""
    agreement = getattr(dispute, "agreement", None)
    if agreement is not None:
        return str(_label(Agreement.Form, agreement.form))
    if dispute.case.status in (Dispute.Status.FAILED, Dispute.Status.REFUSED):
        return str(_label(Dispute.Status, dispute.case.status))
    return ""


def applicant_name(dispute: Dispute) -> str:
    """The first applicant's name, masked."""
    return dispute.applicants[0].masked_name if dispute.applicants else ""


DISPUTE_COLUMNS = (
    (gettext_lazy("reference number"), lambda d: d.case.reference),
    (gettext_lazy("category"), lambda d: category_label(d.category)),
    (gettext_lazy("risk"), lambda d: _label(Risk, d.risk)),
    (gettext_lazy("status"), lambda d: _label(Dispute.Status, d.case.status)),
    (gettext_lazy("channel"), lambda d: _label(Channel, d.channel)),
    (gettext_lazy("filed at"), lambda d: d.case.created_at),
    (gettext_lazy("accepted at"), lambda d: d.accepted_at),
    (gettext_lazy("due"), lambda d: d.case.due_at),
    (gettext_lazy("closed at"), lambda d: d.case.closed_at),
    (gettext_lazy("outcome"), outcome),
    (gettext_lazy("applicant"), applicant_name),
)


def dispute_rows(user, params):
    """The disputes the user may see, filtered as the queue is, newest first."""
    disputes = (
        Dispute.objects.visible_to(user)
        .select_related("case", "category", "agreement")
        .prefetch_related(
            Prefetch(
                "parties",
                queryset=Party.objects.filter(role=Party.Role.APPLICANT).order_by("pk"),
                to_attr="applicants",
            )
        )
        .order_by("-case__created_at", "-pk")
    )
    return _filtered(DisputeFilter(params, queryset=disputes, user=user))


# --- Concerns ---------------------------------------------------------------------------


CONCERN_COLUMNS = (
    (gettext_lazy("reference number"), lambda c: c.case.reference),
    (gettext_lazy("raised at"), lambda c: c.raised_at_event),
    (gettext_lazy("subject"), lambda c: c.case.title),
    (gettext_lazy("status"), lambda c: _label(Concern.Status, c.case.status)),
    (gettext_lazy("filed at"), lambda c: c.case.created_at),
    (gettext_lazy("due"), lambda c: c.case.due_at),
    (gettext_lazy("closed at"), lambda c: c.case.closed_at),
    (gettext_lazy("name of the person filing"), lambda c: c.case.masked_filer_name),
    (gettext_lazy("phone of the person filing"), lambda c: c.case.masked_filer_phone),
    (gettext_lazy("turned into"), lambda c: c.turned_into.reference if c.turned_into else ""),
)


def concern_rows(user, params):
    """The concerns the user may see, filtered as the register is, open ones first."""
    concerns = (
        Concern.objects.visible_to(user)
        .select_related("case", "turned_into")
        .order_by(F("case__closed_at").desc(nulls_first=True), "-case__created_at", "-pk")
    )
    return _filtered(ConcernFilter(params, queryset=concerns))


__all__ = ["CONCERN_COLUMNS", "DISPUTE_COLUMNS", "concern_rows", "dispute_rows", "outcome"]
