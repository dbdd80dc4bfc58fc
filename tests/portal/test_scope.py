"""Reach by membership: area subtrees, programmes, organisations, residents; fail closed."""

import pytest

from portal.models import Organisation, User
from portal.roles import Action, Programme, Role
from portal.scope import (
    ACCOUNT,
    account_manageable,
    allows,
    can,
    get_visible_or_404,
    may_grant,
    reach,
)
from tests.factories import OrganisationFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(world):
    a = world.areas
    return {
        "grid_a1": OrganisationFactory(name="at grid A1", area=a["grid_a1"]),
        "community_a": OrganisationFactory(name="at A", area=a["community_a"]),
        "community_b": OrganisationFactory(name="at B", area=a["community_b"]),
        "subdistrict": world.organisation,
    }


def visible_org_names(user):
    return set(Organisation.objects.visible_to(user).values_list("name", flat=True))


def person(world, role, area_key=None, **kwargs):
    user = UserFactory()
    area = world.areas[area_key] if area_key else None
    member(user, role, area=area, **kwargs)
    return user


def test_a_grid_worker_sees_only_its_grid(world, orgs):
    assert visible_org_names(person(world, Role.GRID_WORKER, "grid_a1")) == {"at grid A1"}


def test_community_staff_see_their_community_and_its_grids_but_not_a_sibling(world, orgs):
    assert visible_org_names(world.users["own_staff"]) == {"at A", "at grid A1"}
    assert visible_org_names(world.users["other_staff"]) == {"at B"}


def test_subdistrict_staff_and_officials_see_everything_below_them(world, orgs):
    everything = {"at grid A1", "at A", "at B", "Police station"}
    assert visible_org_names(person(world, Role.SUBDISTRICT_STAFF, "subdistrict")) == everything
    assert visible_org_names(world.users["official"]) == everything


def test_a_programme_officer_reaches_only_its_programme(world):
    officer = world.users["programme_officer"]  # housing, at the district

    assert reach(officer, "housing.estate").area_paths == {world.areas["district"].path}
    assert reach(officer, "eldercare.adaptation").area_paths == set()
    assert not allows(Role.PROGRAMME_OFFICER, "eldercare.x", Action.VIEW, Programme.HOUSING)
    assert allows(Role.PROGRAMME_OFFICER, "eldercare.x", Action.VIEW, Programme.ELDERCARE)


def test_an_organisation_member_reaches_by_assignment_not_by_area(world, orgs):
    org_member = world.users["org_member"]

    assert reach(org_member, "disputes.dispute").organisation_ids == {world.organisation.pk}
    assert reach(org_member, "disputes.dispute").area_paths == set()
    assert visible_org_names(org_member) == set()  # organisations define no assignment


def test_a_resident_has_no_area_reach(world, orgs):
    resident = world.users["resident"]

    assert reach(resident, "disputes.dispute").own is True
    assert reach(resident, "disputes.dispute").area_paths == set()
    assert visible_org_names(resident) == set()
    assert not User.objects.visible_to(resident).exists()


def test_officials_are_read_only(world):
    official = world.users["official"]

    assert reach(official, "disputes.dispute", Action.VIEW).area_paths
    assert reach(official, "disputes.dispute", Action.EXPORT).area_paths
    for action in (Action.CREATE, Action.CHANGE, Action.ASSIGN, Action.CLOSE, Action.REVEAL):
        assert not reach(official, "disputes.dispute", action).area_paths


def test_no_membership_means_no_rows(world, orgs):
    nobody = UserFactory()

    assert visible_org_names(nobody) == set()
    assert not User.objects.visible_to(nobody).exists()


def test_an_ended_membership_gives_no_reach(world, orgs):
    staff = world.users["own_staff"]
    staff.memberships.update(ended_at="2026-01-01T00:00:00+08:00")
    staff = User.objects.get(pk=staff.pk)

    assert visible_org_names(staff) == set()


def test_a_deactivated_user_sees_nothing(world, orgs):
    staff = world.users["own_staff"]
    staff.is_active = False

    assert visible_org_names(staff) == set()


def test_a_superuser_sees_everything(world, orgs):
    admin = UserFactory(is_superuser=True)

    assert len(visible_org_names(admin)) == 4


def test_can_and_get_visible_or_404_agree_with_visible_to(world, orgs):
    from django.http import Http404

    staff = world.users["own_staff"]

    assert can(staff, Action.VIEW, orgs["community_a"])
    assert not can(staff, Action.VIEW, orgs["community_b"])
    with pytest.raises(Http404):
        get_visible_or_404(Organisation.objects.all(), staff, pk=orgs["community_b"].pk)


def test_accounts_are_visible_where_their_memberships_are(world):
    visible = set(
        User.objects.visible_to(world.users["own_staff"]).values_list("username", flat=True)
    )

    assert visible == {"resident", "own_staff"}
    assert reach(world.users["resident"], ACCOUNT).area_paths == set()


def test_staff_grant_only_lower_roles_inside_their_community(world):
    staff, a = world.users["own_staff"], world.areas

    assert may_grant(staff, Role.RESIDENT, a["community_a"])
    assert may_grant(staff, Role.GRID_WORKER, a["grid_a1"])
    assert not may_grant(staff, Role.RESIDENT, a["community_b"])
    assert not may_grant(staff, Role.COMMUNITY_STAFF, a["community_a"])
    assert not may_grant(staff, Role.GRID_WORKER, a["community_a"])  # grid workers sit on grids


def test_subdistrict_staff_grant_staff_roles_below_them(world):
    subdistrict = person(world, Role.SUBDISTRICT_STAFF, "subdistrict")

    assert may_grant(subdistrict, Role.COMMUNITY_STAFF, world.areas["community_b"])
    assert not may_grant(subdistrict, Role.SUBDISTRICT_STAFF, world.areas["subdistrict"])


def test_an_account_with_a_role_beyond_the_actors_reach_is_not_manageable(world):
    staff, resident = world.users["own_staff"], world.users["resident"]
    assert account_manageable(staff, resident)

    member(resident, Role.OFFICIAL, area=world.areas["district"])

    assert not account_manageable(staff, resident)
    assert not account_manageable(staff, staff)
    assert not account_manageable(world.users["other_staff"], world.users["own_staff"])


# --- Subtree filters as literals (prepared statements' generic plans see the prefix) ---


def test_an_area_subtree_filter_writes_its_path_into_the_sql(world):
    from django.db import connection

    from portal.models import Area, Case

    district = world.areas["district"]
    areas = Area.objects.filter(path__startswith=district.path)
    cases = Case.objects.filter(community__path__startswith=district.path)

    for queryset in (areas, cases):
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        assert f"'{district.path}%%'" in sql
        assert not any(district.path in str(p) for p in params)
    assert set(areas) == {a for a in world.areas.values() if a.path.startswith(district.path)}


@pytest.mark.parametrize("prefix", ["0001'; DROP TABLE portal_area; --", "0001%", "ab", ""])
def test_anything_but_a_tree_path_stays_a_parameter(world, prefix):
    from django.db import connection

    from portal.models import Area

    queryset = Area.objects.filter(path__startswith=prefix)
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()

    assert "DROP" not in sql and "'ab" not in sql and "'0001" not in sql
    assert len(params) == 1 and str(params[0]).endswith("%")
    # Like any startswith: "%" matches itself, not anything.
    expected = {a for a in Area.objects.all() if a.path.startswith(prefix)}
    assert set(queryset) == expected
