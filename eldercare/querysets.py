"""Reads of eldercare rows, each restricted by `visible_to(user)`."""

from django.db.models import Q

from portal.querysets import CaseKindQuerySet
from portal.scope import ScopedQuerySet


class FacilityQuerySet(ScopedQuerySet):
    scope_kind = "eldercare.facility"
    area_field = "community"

    def assigned_to(self, user, organisation_ids):
        """The operator's members keep the facility's service log."""
        return Q(operator_id__in=organisation_ids)

    def published(self):
        """What anyone may find: facilities in service (names, addresses, hours only)."""
        return self.filter(is_open=True)


class AdaptationQuerySet(CaseKindQuerySet):
    scope_kind = "eldercare.adaptation"

    def assigned_to(self, user, organisation_ids):
        """The contractor sees the households it works on."""
        return super().assigned_to(user, organisation_ids) | Q(contractor_id__in=organisation_ids)

    def owned_by(self, user):
        """The elder (through a linked resident record), besides whoever filed it."""
        return super().owned_by(user) | Q(elder__user=user)


class ErrandQuerySet(CaseKindQuerySet):
    scope_kind = "eldercare.errand"

    def owned_by(self, user):
        return super().owned_by(user) | Q(person__user=user)


class AgreementQuerySet(ScopedQuerySet):
    scope_kind = "eldercare.agreement"
    area_field = "area"

    def assigned_to(self, user, organisation_ids):
        return Q(care_institution_id__in=organisation_ids) | Q(
            medical_institution_id__in=organisation_ids
        )


class TeamQuerySet(ScopedQuerySet):
    scope_kind = "eldercare.team"
    area_field = "area"

    def assigned_to(self, user, organisation_ids):
        return Q(medical_institution_id__in=organisation_ids)


class ContractQuerySet(ScopedQuerySet):
    scope_kind = "eldercare.contract"
    area_field = "person__community"

    def assigned_to(self, user, organisation_ids):
        return Q(team__medical_institution_id__in=organisation_ids)

    def owned_by(self, user):
        return Q(person__user=user)
