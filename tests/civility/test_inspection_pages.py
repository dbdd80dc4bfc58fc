"""Inspection pages: scope, the checklist, the per-answer endpoint (script and no script),
finishing, and the list's query count."""

import pytest
from django.urls import reverse

from civility.models import Answer, Finding, Inspection, Mode, Result, Site, SiteType
from tests.civility.test_inspection_services import (
    DAY,
    answer,
    criteria_set,
    criterion,
    officer,
    site,
    start,
)
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def world(db):
    from portal.roles import Programme
    from tests.scope import build_world

    return build_world(Programme.CIVILITY)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def url(name, inspection=None):
    args = [inspection.pk] if inspection else []
    return reverse(f"civility:{name}", args=args)


def test_scope_of_the_inspection_pages(client, world):
    inspection = start(world)
    check_scope(
        client,
        world,
        url("inspection_detail", inspection),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 404,
        },
    )
    for name in ("inspection_list", "inspection_start"):
        check_scope(
            client,
            world,
            url(name),
            {
                "anonymous": 302,
                "resident": 403,
                "other_staff": 200,
                "own_staff": 200,
                "programme_officer": 200,
                "official": 200 if name == "inspection_list" else 403,
                "org_member": 403,
            },
        )


def test_scope_of_the_answer_and_finish_endpoints(client, world):
    inspection = start(world)
    c01 = criterion(inspection, "C01")
    check_scope(
        client,
        world,
        url("inspection_answer", inspection),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 302,
            "programme_officer": 302,
            "official": 404,
            "org_member": 404,
        },
        method="post",
        data={"criterion": c01.pk, "result": Result.PASS},
    )
    assert Answer.objects.get().result == Result.PASS
    check_scope(
        client,
        world,
        url("inspection_finish", inspection),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            # Three items are still unanswered: the checklist comes back with the reason.
            "own_staff": 200,
            "programme_officer": 200,
            "official": 404,
            "org_member": 404,
        },
        method="post",
    )


def test_the_org_members_list_of_inspections_is_empty_even_with_inspections_at_its_sites(
    client, world
):
    start(world)
    client.force_login(world.users["org_member"])
    assert client.get(url("inspection_list")).status_code == 403


def test_the_checklist_shows_only_the_criteria_for_the_sites_type(client, world):
    inspection = start(world)
    client.force_login(officer(world))
    response = client.get(url("inspection_detail", inspection))
    html = response.content.decode()
    for code in ("C01", "C02", "C03", "O01"):
        assert f'id="c-{criterion(inspection, code).pk}"' in html
    assert "M01" not in html
    assert "Fair scale" not in html


def test_starting_an_inspection_from_the_form(client, world):
    criteria_set(world)
    kitchen = site(world)
    client.force_login(officer(world))
    response = client.post(
        url("inspection_start"),
        {"site": kitchen.pk, "mode": Mode.JOINT, "inspected_on": DAY.isoformat()},
    )
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("inspection_detail", inspection)


def test_the_start_form_keeps_what_was_typed_on_error(client, world):
    criteria_set(world)
    kitchen = site(world)
    client.force_login(officer(world))
    for data in ({}, {"site": "x", "mode": "fly", "inspected_on": "someday"}):
        response = client.post(url("inspection_start"), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    response = client.post(
        url("inspection_start"), {"site": kitchen.pk, "mode": Mode.COVERT, "inspected_on": "x"}
    )
    assert response.context["form"]["mode"].value() == Mode.COVERT


def test_the_answer_endpoint_saves_each_answer_at_once_and_answers_json(client, world):
    inspection = start(world)
    client.force_login(officer(world))
    c02 = criterion(inspection, "C02")

    response = client.post(
        url("inspection_answer", inspection),
        {"criterion": c02.pk, "result": Result.FAIL, "note": "no steriliser"},
        **JSON,
    )
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and data["result"] == "fail" and data["changed"]
    finding = Finding.objects.get()
    assert data["finding"]["reference"] == finding.case.reference
    assert data["finding"]["url"] == reverse("civility:finding_detail", args=[finding.pk])
    assert Answer.objects.get(criterion=c02).note == "no steriliser"

    # The same answer again (a retry after a lost reply) changes nothing.
    response = client.post(
        url("inspection_answer", inspection),
        {"criterion": c02.pk, "result": Result.FAIL, "note": "no steriliser"},
        **JSON,
    )
    assert response.json()["changed"] is False
    assert Finding.objects.count() == 1
    assert Answer.objects.count() == 1


def test_the_answer_endpoint_without_script_redirects_back_to_the_item(client, world):
    inspection = start(world)
    client.force_login(officer(world))
    c01 = criterion(inspection, "C01")
    response = client.post(
        url("inspection_answer", inspection), {"criterion": c01.pk, "result": Result.PASS}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url('inspection_detail', inspection)}#c-{c01.pk}"


def test_a_refused_answer_is_an_error_with_the_note_kept(client, world):
    inspection = start(world)
    client.force_login(officer(world))
    market_item = criterion(inspection, "M01")
    c01 = criterion(inspection, "C01")

    response = client.post(
        url("inspection_answer", inspection),
        {"criterion": market_item.pk, "result": Result.PASS},
        **JSON,
    )
    assert response.status_code == 400
    assert response.json()["ok"] is False

    response = client.post(
        url("inspection_answer", inspection),
        {"criterion": c01.pk, "result": "maybe", "note": "greasy floor"},
    )
    assert response.status_code == 200
    assert response.context["answer_form"].errors
    assert "greasy floor" in response.content.decode()
    assert not Answer.objects.exists()

    for data in ({}, {"criterion": "x", "result": "x"}):
        response = client.post(url("inspection_answer", inspection), data)
        assert response.status_code == 200
        assert response.context["answer_form"].errors


def test_finishing_from_the_page(client, world):
    inspection = start(world)
    client.force_login(officer(world))
    response = client.post(url("inspection_finish", inspection))
    assert response.status_code == 200
    assert "4" in " ".join(response.context["page_errors"])
    for code in ("C01", "C02", "C03", "O01"):
        answer(world, inspection, code, Result.PASS)
    response = client.post(url("inspection_finish", inspection))
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.finished_at is not None
    page = client.get(url("inspection_detail", inspection)).content.decode()
    assert 'id="checklist-finished"' in page
    assert "answer-form" not in page


LIST_QUERIES = 7


def make_inspections(world, size):
    criteria_set(world)
    sites = [site(world, name=f"Kitchen {n}") for n in range(3)]
    for n in range(size):
        inspection = start(world, sites[n % 3], mode=Mode.JOINT)
        answer(world, inspection, "C01", Result.FAIL if n % 2 else Result.PASS)


@pytest.mark.parametrize("size", [3, 30])
def test_the_inspection_list_runs_a_fixed_number_of_queries(
    client, world, size, django_assert_max_num_queries
):
    make_inspections(world, size)
    client.force_login(officer(world))
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(url("inspection_list"))
    assert response.status_code == 200
    assert len(response.context["inspections"]) == min(size, 25)


CHECKLIST_QUERIES = 12


@pytest.mark.parametrize("size", [2, 12])
def test_the_checklist_runs_a_fixed_number_of_queries(
    client, world, size, django_assert_max_num_queries
):
    from civility.models import Category, Criterion
    from civility.services.inspections import answer_save

    inspection = start(world)
    for n in range(size):
        c = Criterion.objects.create(
            criteria_set=inspection.criteria_set,
            code=f"X{n:02d}",
            category=Category.OTHER,
            text=f"Extra {n}",
            site_types=[SiteType.RESTAURANT],
        )
        answer_save(
            actor=officer(world),
            inspection=inspection,
            criterion=c,
            result=Result.FAIL if n % 2 else Result.PASS,
        )
    client.force_login(officer(world))
    with django_assert_max_num_queries(CHECKLIST_QUERIES):
        response = client.get(url("inspection_detail", inspection))
    assert response.status_code == 200


def test_a_site_out_of_reach_cannot_be_chosen(client, world):
    from portal.roles import AreaLevel
    from tests.factories import area

    criteria_set(world)
    elsewhere = area("Far district", AreaLevel.DISTRICT, world.areas["city"])
    far = site(world, where=elsewhere, name="Far kitchen")
    client.force_login(officer(world))
    response = client.post(
        url("inspection_start"),
        {"site": far.pk, "mode": Mode.JOINT, "inspected_on": DAY.isoformat()},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["site"]
    assert not Inspection.objects.exists()
    assert Site.objects.count() == 1


def test_the_menu_shows_inspections_to_civility_officers(world):
    from civility.services.inspections import in_nav

    assert in_nav(officer(world))
    for persona in ("own_staff", "official", "org_member", "resident"):
        assert not in_nav(world.users[persona])
