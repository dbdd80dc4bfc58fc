"""The civility exports: findings, orders and events as the lists scope them, with no
personal data in any cell."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from civility import exports
from civility.models import Finding, OutreachEvent, SupervisionOrder
from portal.registry import registry
from portal.roles import Programme
from portal.services.exports import export_queryset, export_rows
from tests.civility.test_measures import build
from tests.scope import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world(Programme.CIVILITY)


PHONE = re.compile(r"1[3-9]\d{9}")


def table(provider_name, user, params=None):
    provider = registry.export_providers[provider_name]
    rows = export_queryset(provider_name=provider_name, user=user, params=params or {})
    with translation.override("en"):
        return list(export_rows(provider=provider, queryset=rows))


def personal_data(world) -> set[str]:
    """Every name, username and phone of the world's accounts."""
    values = set()
    for user in world.users.values():
        values |= {user.username, user.display_name, user.phone}
    return {v for v in values if v}


def cells(rows) -> list[str]:
    return [str(cell) for row in rows for cell in row]


def test_the_providers_are_registered_with_their_kinds():
    kinds = {
        name: registry.export_providers[name].kind
        for name in ("civility.findings", "civility.orders", "civility.events")
    }
    assert kinds == {
        "civility.findings": "civility.finding",
        "civility.orders": "civility.order",
        "civility.events": "civility.event",
    }


def test_the_findings_export_names_places_and_criteria_never_people(world):
    build(world, sites_in_a=2)
    OutreachEvent.objects.update(organiser="张三 13912345678", note="联系 13912345678")

    rows = table("civility.findings", world.users["official"])

    header, body = rows[0], rows[1:]
    assert len(body) == Finding.objects.count()
    assert "criterion code" in header and "responsible unit" in header
    found = cells(body)
    assert not personal_data(world) & set(found)
    assert not any(PHONE.search(cell) for cell in found)
    assert {"C01", "C02", "C03"} <= set(found)


def test_the_findings_export_filters_by_resolution_and_refuses_a_bad_one(world):
    build(world, sites_in_a=2)
    official = world.users["official"]

    fixed = table("civility.findings", official, {"resolution": "fixed_on_spot"})

    assert len(fixed) - 1 == Finding.objects.filter(resolution="fixed_on_spot").count()
    with pytest.raises(ValidationError):
        table("civility.findings", official, {"resolution": "lost"})
    with pytest.raises(ValidationError):
        table("civility.findings", official, {"start": "2025-13-01"})


def test_the_orders_export_counts_the_findings_and_names_the_unit(world):
    build(world, sites_in_a=2)

    rows = table("civility.orders", world.users["official"])

    assert len(rows) - 1 == SupervisionOrder.objects.count()
    assert not personal_data(world) & set(cells(rows[1:]))
    assert all(world.organisation.name in row for row in rows[1:])


def test_the_events_export_is_counts_without_organiser_or_note(world):
    build(world, sites_in_a=2)
    OutreachEvent.objects.update(organiser="张三", note="联系 13912345678")

    rows = table("civility.events", world.users["official"])

    found = cells(rows[1:])
    assert len(rows) - 1 == 3
    assert "张三" not in found and not any(PHONE.search(c) for c in found)
    assert "of whom minors" in rows[0]


def test_exports_are_for_those_with_the_export_right_and_cut_to_their_scope(world):
    build(world, sites_in_a=2)

    # Community staff export their own community's findings only.
    own = table("civility.findings", world.users["own_staff"])
    assert len(own) - 1 == Finding.objects.filter(site__area=world.areas["community_a"]).count()
    for persona in ("org_member", "resident"):
        with pytest.raises(PermissionDenied):
            table("civility.events", world.users[persona])


def test_the_export_rows_ask_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    build(world, sites_in_a=6)
    rows = exports.finding_rows(world.users["official"], {})

    with django_assert_max_num_queries(3):
        assert len(list(rows)) == Finding.objects.count()
