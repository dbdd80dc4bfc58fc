"""The housing exports over real HTTP: the registry and estate issues, masked and scoped."""

import csv
import io

import pytest
from django.urls import reverse

from housing.models import EstateIssue
from housing.services import registry
from portal.personal import id_check_character
from portal.services.cases import case_close, case_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def id_number(sequence: int) -> str:
    """A valid 18-character ID number: the check character computed."""
    first17 = f"11010519800101{sequence:03d}"
    return first17 + id_check_character(first17)


def export_url(provider: str) -> str:
    return reverse("portal:export", args=[provider])


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def estate_with_residents(world, community: str, name: str, residents: int, first_id: int):
    staff = world.users["own_staff" if community == "community_a" else "other_staff"]
    estate = registry.estate_create(actor=staff, community=world.areas[community], name=name)
    building = registry.building_ensure(estate=estate, number="1", floors=6)
    unit = registry.unit_ensure(building=building, number="1")
    for n in range(residents):
        household = registry.household_ensure(
            unit=unit, room_number=f"{n + 1:02d}01", floor=n + 1, area_m2="80.00"
        )
        registry.person_create(
            actor=staff,
            community=world.areas[community],
            name=f"{name}居民{n}",
            id_number=id_number(first_id + n),
            phone=PHONE,
            household=household,
        )
    return estate


def issue(world, estate, community="community_a", category="parking"):
    staff = world.users["own_staff" if community == "community_a" else "other_staff"]
    case = case_open(
        kind="housing.issue",
        actor=staff,
        community=world.areas[community],
        title="Cars block the fire lane",
        filer_name="张三",
        filer_phone=PHONE,
    )
    return EstateIssue.objects.create(
        case=case, estate=estate, category=category, description="Cars block the fire lane"
    )


@pytest.fixture(autouse=True)
def english(client):
    """Headers and labels are compared in English, whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def estates(world):
    return (
        estate_with_residents(world, "community_a", "清怡院", 3, first_id=100),
        estate_with_residents(world, "community_b", "盛泽园", 1, first_id=200),
    )


# --- The registry ----------------------------------------------------------------------


def test_scope_of_the_registry_export(client, world, estates):
    check_scope(
        client,
        world,
        export_url("housing.registry"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 403,
        },
    )


def test_the_registry_export_masks_id_numbers_and_phones(client, world, estates):
    client.force_login(world.users["own_staff"])

    response = client.get(export_url("housing.registry"), {"format": "csv"})

    rows = csv_rows(response)
    assert rows[0] == [
        "estate",
        "building",
        "unit",
        "room",
        "floor",
        "registered floor area (m²)",
        "occupancy",
        "name",
        "ID card number",
        "mobile phone",
        "relation",
    ]
    assert [row[7] for row in rows[1:]] == ["清怡院居民0", "清怡院居民1", "清怡院居民2"]
    first = rows[1]
    assert first[:7] == ["清怡院", "1", "1", "0101", "1", "80.00", "owner-occupied"]
    assert first[8] == f"{id_number(100)[:6]}********{id_number(100)[-4:]}"
    assert (first[9], first[10]) == ("138****5678", "owner")
    text = response.content.decode("utf-8-sig")
    assert PHONE not in text
    assert not any(id_number(n) in text for n in (100, 101, 102))


def test_staff_of_another_community_export_none_of_community_a(client, world, estates):
    client.force_login(world.users["other_staff"])

    rows = csv_rows(client.get(export_url("housing.registry")))

    assert [(row[0], row[7]) for row in rows[1:]] == [("盛泽园", "盛泽园居民0")]


def test_an_official_exports_the_district_and_may_filter_by_estate(client, world, estates):
    client.force_login(world.users["official"])

    everything = csv_rows(client.get(export_url("housing.registry")))
    one_estate = csv_rows(client.get(export_url("housing.registry"), {"estate": estates[1].pk}))

    assert {row[0] for row in everything[1:]} == {"清怡院", "盛泽园"}
    assert len(everything) == 1 + 4
    assert [row[0] for row in one_estate[1:]] == ["盛泽园"]


def test_a_malformed_estate_filter_is_a_bad_request(client, world, estates):
    client.force_login(world.users["own_staff"])

    assert client.get(export_url("housing.registry"), {"estate": "1 OR 1=1"}).status_code == 400


def test_the_registry_export_runs_the_same_queries_for_few_and_many_rows(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.users["own_staff"])
    estate_with_residents(world, "community_a", "小区甲", 2, first_id=300)
    with django_assert_max_num_queries(12) as few:
        assert len(csv_rows(client.get(export_url("housing.registry")))) == 3

    estate_with_residents(world, "community_a", "小区乙", 20, first_id=400)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(csv_rows(client.get(export_url("housing.registry")))) == 23


# --- Estate issues ---------------------------------------------------------------------


def test_scope_of_the_issues_export(client, world, estates):
    issue(world, estates[0])
    check_scope(
        client,
        world,
        export_url("housing.issues"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 403,
        },
    )


def test_the_issues_export_has_each_visible_issue_masked(client, world, estates):
    ours = issue(world, estates[0])
    issue(world, estates[1], community="community_b")
    client.force_login(world.users["own_staff"])

    response = client.get(export_url("housing.issues"))

    rows = csv_rows(response)
    assert rows[0][:4] == ["reference number", "estate", "category", "status"]
    assert [row[:4] for row in rows[1:]] == [[ours.case.reference, "清怡院", "parking", "reported"]]
    assert rows[1][4] and rows[1][5] and rows[1][6] == ""  # filed, due, not closed
    assert (rows[1][7], rows[1][8]) == ("张*", "138****5678")
    assert PHONE not in response.content.decode("utf-8-sig")


def test_the_issues_export_filters_by_estate_and_status(client, world, estates):
    staff = world.users["own_staff"]
    other_estate = registry.estate_create(
        actor=staff, community=world.areas["community_a"], name="团结院"
    )
    solved = issue(world, estates[0])
    case_close(case=solved.case, actor=staff, status="solved")
    open_here = issue(world, estates[0], category="safety")
    issue(world, other_estate)
    client.force_login(staff)

    in_estate = csv_rows(client.get(export_url("housing.issues"), {"estate": estates[0].pk}))
    solved_only = csv_rows(client.get(export_url("housing.issues"), {"status": "solved"}))

    assert {row[0] for row in in_estate[1:]} == {solved.case.reference, open_here.case.reference}
    assert [(row[0], row[3]) for row in solved_only[1:]] == [(solved.case.reference, "solved")]
    assert solved_only[1][6]  # closed at
    assert client.get(export_url("housing.issues"), {"status": "lost"}).status_code == 400


def test_the_issues_export_runs_the_same_queries_for_few_and_many_rows(
    client, world, estates, django_assert_max_num_queries
):
    client.force_login(world.users["own_staff"])
    issue(world, estates[0])
    with django_assert_max_num_queries(12) as few:
        assert len(csv_rows(client.get(export_url("housing.issues")))) == 2

    for _ in range(15):
        issue(world, estates[0])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(csv_rows(client.get(export_url("housing.issues")))) == 17
