"""Reads of the clinic, each restricted by `visible_to(user)`."""

from django.db.models import Q

from portal.querysets import CaseKindQuerySet
from portal.scope import ScopedQuerySet


class DisputeQuerySet(CaseKindQuerySet):
    scope_kind = "disputes.dispute"

    def assigned_to(self, user, organisation_ids):
        """An organisation member sees the disputes assigned to it or to their
        organisation, as a handler or on the panel."""
        from .models import PanelMember

        panels = PanelMember.objects.filter(
            Q(mediator__user=user) | Q(mediator__organisation_id__in=organisation_ids)
        ).values("dispute_id")
        return super().assigned_to(user, organisation_ids) | Q(pk__in=panels)

    def owned_by(self, user):
        """A resident sees the disputes they filed or are a party to (by account or by
        their resident record)."""
        from .models import Party

        parties = Party.objects.filter(Q(user=user) | Q(person__user=user)).values("dispute_id")
        return super().owned_by(user) | Q(pk__in=parties)


class ConcernQuerySet(CaseKindQuerySet):
    scope_kind = "disputes.concern"


class MediatorQuerySet(ScopedQuerySet):
    scope_kind = "disputes.mediator"
    area_field = "community"


def party_disputes(person):
    """Cases of the disputes `person` is a party to (a person-cases finder for housing)."""
    from .models import Party

    return Party.objects.filter(person=person).values_list("dispute_id", flat=True)
