"""Reads of civility rows, each restricted by `visible_to(user)`. A responsible unit
(an organisation member) reaches its own sites, findings and orders only."""

from django.db.models import Q

from portal.querysets import CaseKindQuerySet
from portal.roles import Action
from portal.scope import ScopedQuerySet, paths_above, reach


class CriteriaSetQuerySet(ScopedQuerySet):
    scope_kind = "civility.criteria"
    area_field = "area"

    def visible_to(self, user, action=Action.VIEW):
        """Viewing also reaches the sets of the areas above the user's: a community is
        inspected under its city's set. Changing them stays with those who hold them."""
        rows = super().visible_to(user, action)
        if action != Action.VIEW:
            return rows
        above = paths_above(reach(user, self.scope_kind, action).area_paths)
        return rows | self.filter(area__path__in=above) if above else rows


class SiteQuerySet(ScopedQuerySet):
    scope_kind = "civility.site"
    area_field = "area"

    def assigned_to(self, user, organisation_ids):
        return Q(responsible_unit_id__in=organisation_ids)


class InspectionQuerySet(ScopedQuerySet):
    scope_kind = "civility.inspection"
    area_field = "site__area"


class FindingQuerySet(CaseKindQuerySet):
    scope_kind = "civility.finding"


class OrderQuerySet(CaseKindQuerySet):
    scope_kind = "civility.order"


class TeamQuerySet(ScopedQuerySet):
    scope_kind = "civility.team"
    area_field = "area"


class EventQuerySet(ScopedQuerySet):
    scope_kind = "civility.event"
    area_field = "area"
