"""Reads of the elevator projects, restricted by `visible_to(user)`."""

from django.db.models import Q

from portal.querysets import CaseKindQuerySet


class ProjectQuerySet(CaseKindQuerySet):
    scope_kind = "elevators.project"

    def owned_by(self, user):
        """Residents see the projects of the units they live in (bound or on record)."""
        from housing.models import Household

        units = Household.objects.bound_to(user).values("unit_id")
        return super().owned_by(user) | Q(unit_id__in=units)
