"""Reads of stations, each restricted by `visible_to(user)`; `published()` is what the
public finder may show (stations are public places by design)."""

from django.db.models import Q

from portal.scope import ScopedQuerySet


class StationQuerySet(ScopedQuerySet):
    scope_kind = "stations.station"
    area_field = "community"

    def assigned_to(self, user, organisation_ids):
        """The host organisation's members keep their station."""
        return Q(host_id__in=organisation_ids)

    def published(self):
        return self.all()


class FeedbackQuerySet(ScopedQuerySet):
    scope_kind = "stations.feedback"
    area_field = "station__community"

    def assigned_to(self, user, organisation_ids):
        return Q(station__host_id__in=organisation_ids)

    def public(self):
        """Only what staff approved is ever shown to the public."""
        return self.filter(status="approved")
