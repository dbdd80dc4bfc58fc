"""Inspection sites: registering and editing them (services and pages), the list and a
site's page with its recent inspections and open findings."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from civility.models import (
    Category,
    CriteriaSet,
    Criterion,
    Finding,
    Inspection,
    Mode,
    Site,
    SiteType,
)
from civility.services.sites import in_nav, site_create, site_update
from portal.models import Case, Organisation
from portal.roles import OrganisationType, Programme
from tests.scope import build_world, check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """The scope world with a civility officer; the world's organisation is the
    subdistrict office, a responsible unit whose members are the org_member persona."""
    w = build_world(Programme.CIVILITY)
    w.organisation.type = OrganisationType.SUBDISTRICT_OFFICE
    w.organisation.name = "清真巷街道办事处"
    w.organisation.save()
    return w


@pytest.fixture
def department(world):
    return Organisation.objects.create(
        name="市场监管局", type=OrganisationType.DEPARTMENT, area=world.areas["city"]
    )


def make_site(world, n=0, **fields):
    values = {
        "area": world.areas["community_a"],
        "type": SiteType.RESTAURANT,
        "name": f"团结餐馆 {n}",
        "address": f"团结路 {n} 号",
        "responsible_unit": world.organisation,
        **fields,
    }
    return Site.objects.create(**values)


def make_inspection(site, criteria_set, *, days_ago=0, findings=0, open_findings=0):
    inspection = Inspection.objects.create(
        site=site,
        criteria_set=criteria_set,
        mode=Mode.JOINT,
        inspected_on=timezone.localdate() - timedelta(days=days_ago),
    )
    for n in range(findings):
        criterion = Criterion.objects.create(
            criteria_set=criteria_set,
            code=f"F{inspection.pk}-{n}",
            category=Category.CATERING,
            text="后厨",
            site_types=["restaurant"],
        )
        case = Case.objects.create(
            kind="civility.finding",
            reference=f"WT{inspection.pk:04d}{n:03d}",
            title="后厨不洁",
            status="open",
            community=site.area,
            organisation=site.responsible_unit,
            closed_at=None if n < open_findings else timezone.now(),
        )
        Finding.objects.create(case=case, inspection=inspection, criterion=criterion, site=site)
    return inspection


@pytest.fixture
def criteria_set(world):
    criteria_set = CriteriaSet.objects.create(
        area=world.areas["district"], name="区测评标准", valid_from=date(2020, 1, 1)
    )
    for code, types in [("A1", ["restaurant"]), ("A2", ["restaurant", "market"]), ("B1", [])]:
        Criterion.objects.create(
            criteria_set=criteria_set,
            code=code,
            category=Category.CATERING,
            text=code,
            site_types=types,
        )
    return criteria_set


# --- services ---------------------------------------------------------------------------


def test_community_staff_register_a_site_with_a_responsible_unit_above_it(world, department):
    site = site_create(
        actor=world.users["own_staff"],
        area=world.areas["community_a"],
        type=SiteType.MARKET,
        name=" 团结农贸市场 ",
        address=" 团结路 1 号 ",
        responsible_unit=department,
    )

    assert (site.name, site.address) == ("团结农贸市场", "团结路 1 号")
    assert site.responsible_unit == department


@pytest.mark.parametrize(
    ("unit", "code"),
    [("police", "unit_type"), ("elsewhere", "unit_outside"), (None, "required")],
)
def test_the_responsible_unit_must_be_a_department_or_office_in_or_above_the_area(
    world, unit, code
):
    units = {
        "police": Organisation.objects.create(
            name="派出所", type=OrganisationType.POLICE_STATION, area=world.areas["subdistrict"]
        ),
        "elsewhere": Organisation.objects.create(
            name="B 社区办",
            type=OrganisationType.SUBDISTRICT_OFFICE,
            area=world.areas["community_b"],
        ),
        None: None,
    }

    with pytest.raises(ValidationError) as error:
        site_create(
            actor=world.users["programme_officer"],
            area=world.areas["community_a"],
            type=SiteType.STREET,
            name="背街",
            address="小巷",
            responsible_unit=units[unit],
        )

    assert error.value.error_dict["responsible_unit"][0].code == code
    assert not Site.objects.exists()


def test_a_unit_below_the_sites_area_may_answer_for_it(world):
    site = site_create(
        actor=world.users["programme_officer"],
        area=world.areas["district"],
        type=SiteType.STREET,
        name="东大街",
        address="东大街",
        responsible_unit=world.organisation,
    )

    assert site.area == world.areas["district"]


def test_empty_fields_are_refused_by_field(world):
    with pytest.raises(ValidationError) as error:
        site_create(
            actor=world.users["own_staff"],
            area=world.areas["community_a"],
            type="castle",
            name=" ",
            address="",
            responsible_unit=world.organisation,
        )

    assert set(error.value.error_dict) == {"type", "name", "address"}


@pytest.mark.parametrize("actor", ["other_staff", "official", "org_member", "resident"])
def test_others_may_not_register_a_site_in_community_a(world, actor):
    with pytest.raises(PermissionDenied):
        site_create(
            actor=world.users[actor],
            area=world.areas["community_a"],
            type=SiteType.RESTAURANT,
            name="x",
            address="y",
            responsible_unit=world.organisation,
        )


def test_an_edit_cannot_move_a_site_out_of_the_editors_reach(world):
    site = make_site(world)
    values = {
        "type": site.type,
        "name": site.name,
        "address": site.address,
        "responsible_unit": world.organisation,
    }

    with pytest.raises(ValidationError) as error:
        site_update(
            actor=world.users["own_staff"], site=site, area=world.areas["community_b"], **values
        )
    updated = site_update(
        actor=world.users["own_staff"],
        site=site,
        area=world.areas["community_a"],
        **{**values, "name": "团结饭店"},
    )

    assert error.value.error_dict["area"][0].code == "outside_scope"
    assert updated.name == "团结饭店"
    assert Site.objects.get(pk=site.pk).area == world.areas["community_a"]


def test_a_responsible_unit_may_not_edit_its_site(world):
    site = make_site(world)

    with pytest.raises(PermissionDenied):
        site_update(
            actor=world.users["org_member"],
            site=site,
            area=site.area,
            type=site.type,
            name="改名",
            address=site.address,
            responsible_unit=world.organisation,
        )


def test_the_navigation_offers_sites_to_staff_and_responsible_units(world):
    assert in_nav(world.users["programme_officer"])
    assert in_nav(world.users["own_staff"])
    assert in_nav(world.users["official"])
    assert in_nav(world.users["org_member"])
    assert not in_nav(world.users["resident"])


# --- scope --------------------------------------------------------------------------------


def test_scope_of_the_site_list(client, world):
    check_scope(
        client,
        world,
        reverse("civility:site_list"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )


def test_scope_of_a_sites_page(client, world):
    site = make_site(world)

    check_scope(
        client,
        world,
        reverse("civility:site_detail", args=[site.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )


def test_scope_of_registering_a_site(client, world):
    check_scope(
        client,
        world,
        reverse("civility:site_create"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 403,
        },
    )


def test_scope_of_editing_a_site(client, world):
    site = make_site(world)

    check_scope(
        client,
        world,
        reverse("civility:site_edit", args=[site.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 403,
        },
    )


def test_a_responsible_unit_lists_only_its_own_sites(client, world, department):
    make_site(world, 1)
    make_site(world, 2, responsible_unit=department)
    client.force_login(world.users["org_member"])

    response = client.get(reverse("civility:site_list"))

    assert [s.name for s in response.context["object_list"]] == ["团结餐馆 1"]


# --- pages --------------------------------------------------------------------------------


def test_registering_a_site_through_the_form(client, world, department):
    client.force_login(world.users["programme_officer"])

    response = client.post(
        reverse("civility:site_create"),
        {
            "type": SiteType.MARKET,
            "name": "团结农贸市场",
            "area": world.areas["community_a"].pk,
            "address": "团结路 8 号",
            "responsible_unit": department.pk,
        },
    )

    site = Site.objects.get(name="团结农贸市场")
    assert response.status_code == 302
    assert response["Location"] == reverse("civility:site_detail", args=[site.pk])


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"type": "castle", "name": "", "area": "x", "address": "", "responsible_unit": "y"},
        {"type": "market", "name": "x" * 300, "area": "999999", "responsible_unit": "999999"},
    ],
)
def test_bad_input_on_the_site_form_is_a_form_error(client, world, data):
    client.force_login(world.users["own_staff"])

    response = client.post(reverse("civility:site_create"), data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Site.objects.exists()


def test_a_unit_outside_the_area_is_a_form_error_keeping_the_input(client, world):
    office_b = Organisation.objects.create(
        name="B 办", type=OrganisationType.SUBDISTRICT_OFFICE, area=world.areas["community_b"]
    )
    client.force_login(world.users["programme_officer"])

    response = client.post(
        reverse("civility:site_create"),
        {
            "type": SiteType.STREET,
            "name": "东小巷",
            "area": world.areas["community_a"].pk,
            "address": "东小巷",
            "responsible_unit": office_b.pk,
        },
    )

    assert response.status_code == 200
    assert "responsible_unit" in response.context["form"].errors
    assert 'value="东小巷"' in response.content.decode()


def test_editing_a_site_through_the_form(client, world):
    site = make_site(world)
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("civility:site_edit", args=[site.pk]),
        {
            "type": SiteType.TOILET,
            "name": "团结公厕",
            "area": world.areas["grid_a1"].pk,
            "address": site.address,
            "responsible_unit": world.organisation.pk,
        },
    )

    site.refresh_from_db()
    assert response.status_code == 302
    assert (site.type, site.name, site.area) == ("toilet", "团结公厕", world.areas["grid_a1"])


def test_the_list_filters_by_type_area_and_unit(client, world, department):
    make_site(world, 1)
    make_site(world, 2, type=SiteType.MARKET)
    make_site(world, 3, area=world.areas["community_b"], responsible_unit=department)
    client.force_login(world.users["programme_officer"])
    url = reverse("civility:site_list")

    def names(query):
        return [s.name for s in client.get(url, query).context["object_list"]]

    assert names({"type": "market"}) == ["团结餐馆 2"]
    assert names({"area": world.areas["community_b"].pk}) == ["团结餐馆 3"]
    assert names({"area": world.areas["subdistrict"].pk}) == [
        "团结餐馆 1",
        "团结餐馆 2",
        "团结餐馆 3",
    ]
    assert names({"responsible_unit": department.pk}) == ["团结餐馆 3"]
    nonsense = client.get(url, {"type": "castle", "area": "x"})
    assert nonsense.status_code == 200 and nonsense.context["filter"].form.errors


def test_a_sites_page_shows_recent_inspections_open_findings_and_its_checklist(
    client, world, criteria_set
):
    site = make_site(world)
    make_inspection(site, criteria_set, days_ago=3, findings=3, open_findings=2)
    make_inspection(site, criteria_set, days_ago=1)
    client.force_login(world.users["programme_officer"])

    response = client.get(reverse("civility:site_detail", args=[site.pk]))

    assert response.context["open_findings"] == 2
    assert [i.finding_count for i in response.context["inspections"]] == [0, 3]
    assert response.context["criteria_set"] == criteria_set
    assert response.context["checklist_count"] == 2 + 3  # A1, A2 and the findings' F-items


def test_a_responsible_unit_sees_its_findings_but_not_the_inspections(client, world, criteria_set):
    site = make_site(world)
    make_inspection(site, criteria_set, findings=1, open_findings=1)
    client.force_login(world.users["org_member"])

    response = client.get(reverse("civility:site_detail", args=[site.pk]))

    assert response.context["open_findings"] == 1
    assert response.context["inspections"] == []
    assert not response.context["may_edit"]


@pytest.mark.parametrize("sites", [3, 30])
def test_the_site_list_runs_a_fixed_number_of_queries(
    client, world, criteria_set, sites, django_assert_max_num_queries
):
    for n in range(sites):
        site = make_site(world, n, area=world.areas["community_a" if n % 2 else "community_b"])
        make_inspection(site, criteria_set, findings=1, open_findings=1)
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(11):
        response = client.get(reverse("civility:site_list"))
    assert response.status_code == 200


@pytest.mark.parametrize("inspections", [2, 20])
def test_a_sites_page_runs_a_fixed_number_of_queries(
    client, world, criteria_set, inspections, django_assert_max_num_queries
):
    site = make_site(world)
    for n in range(inspections):
        make_inspection(site, criteria_set, days_ago=n, findings=1, open_findings=n % 2)
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(13):
        response = client.get(reverse("civility:site_detail", args=[site.pk]))
    assert response.status_code == 200
