"""The criteria pages: the list of sets, a set's page and the import (check, then
import), through the test client."""

import io
from datetime import date

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civility.models import Category, CriteriaSet, Criterion, SiteType
from civility.views.criteria import criteria_in_nav
from portal.roles import Programme
from tests.scope import build_world, check_scope

pytestmark = pytest.mark.django_db

HEADER = ["编号", "类别", "测评内容", "权重", "适用点位", "替代条目"]


@pytest.fixture
def world(db):
    return build_world(Programme.CIVILITY)


def make_set(area, name="测评标准", valid_from=date(2024, 1, 1), previous=None, items=0):
    criteria_set = CriteriaSet.objects.create(
        area=area, name=name, valid_from=valid_from, previous=previous
    )
    categories = Category.values
    Criterion.objects.bulk_create(
        Criterion(
            criteria_set=criteria_set,
            code=f"C{n:03d}",
            category=categories[n % len(categories)],
            text=f"条目 {n}",
            site_types=["restaurant", "market"] if n % 2 else ["street"],
        )
        for n in range(items)
    )
    return criteria_set


def csv_upload(rows, name="criteria.csv"):
    out = io.StringIO()
    for row in [HEADER, *rows]:
        out.write(",".join(row) + "\r\n")
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


class RewindingUpload(SimpleUploadedFile):
    """An upload the test client can send more than once (one request per persona)."""

    def read(self, *args):
        self.seek(0)
        return super().read(*args)


def import_data(world, upload, **fields):
    return {
        "name": "社区测评标准",
        "area": world.areas["community_a"].pk,
        "valid_from": "2025-03-01",
        "previous": "",
        "file": upload,
        **fields,
    }


CSV_LINES = [",".join(HEADER).encode(), "SC-01,农贸市场,设置公平秤,1,农贸市场,".encode()]

GOOD = [
    ["CY-01", "餐饮", "后厨卫生整洁", "2", "餐饮店", "C001"],
    ["SC-01", "农贸市场", "设置公平秤", "1", "农贸市场", ""],
]


# --- scope ----------------------------------------------------------------------------


def test_scope_of_the_criteria_list(client, world):
    check_scope(
        client,
        world,
        reverse("civility:criteria_list"),
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


def test_scope_of_a_sets_page(client, world):
    criteria_set = make_set(world.areas["community_a"], items=3)

    check_scope(
        client,
        world,
        reverse("civility:criteria_detail", args=[criteria_set.pk]),
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


def test_scope_of_the_import_page(client, world):
    check_scope(
        client,
        world,
        reverse("civility:criteria_import"),
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


def test_scope_of_checking_a_file(client, world):
    responses = check_scope(
        client,
        world,
        reverse("civility:criteria_import"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 403,
        },
        method="post",
        data=import_data(world, RewindingUpload("c.csv", b"\r\n".join(CSV_LINES))),
    )

    # Community B's staff cannot choose community A: a form error, no report.
    assert "area" in responses["other_staff"].context["form"].errors
    assert "report" not in responses["other_staff"].context
    assert responses["own_staff"].context["report"].is_clean
    assert not CriteriaSet.objects.exists()


def test_a_housing_officer_sees_no_criteria(client):
    world = build_world(Programme.HOUSING)
    criteria_set = make_set(world.areas["district"])
    client.force_login(world.users["programme_officer"])

    assert client.get(reverse("civility:criteria_list")).status_code == 403
    assert (
        client.get(reverse("civility:criteria_detail", args=[criteria_set.pk])).status_code == 404
    )
    assert client.get(reverse("civility:criteria_import")).status_code == 403


def test_the_navigation_offers_criteria_to_area_staff_only(world):
    assert criteria_in_nav(world.users["programme_officer"])
    assert criteria_in_nav(world.users["own_staff"])
    assert not criteria_in_nav(world.users["resident"])
    assert not criteria_in_nav(world.users["org_member"])


# --- the list and a set's page ----------------------------------------------------------


def test_the_list_shows_counts_and_marks_the_set_in_force(client, world):
    district = world.areas["district"]
    old = make_set(district, "140 项", valid_from=date(2020, 1, 1), items=14)
    make_set(district, "65 项", valid_from=date(2021, 1, 1), previous=old, items=6)
    client.force_login(world.users["programme_officer"])

    response = client.get(reverse("civility:criteria_list"))

    rows = {s.name: (s.criteria_count, bool(s.in_force)) for s in response.context["object_list"]}
    assert rows == {"140 项": (14, False), "65 项": (6, True)}


def test_the_list_filters_by_area_with_its_subtree(client, world):
    make_set(world.areas["district"], "区")
    make_set(world.areas["community_a"], "A")
    make_set(world.areas["community_b"], "B")
    client.force_login(world.users["programme_officer"])

    response = client.get(
        reverse("civility:criteria_list"), {"area": world.areas["community_a"].pk}
    )

    assert [s.name for s in response.context["object_list"]] == ["A"]


def test_a_sets_page_groups_criteria_by_category_with_types_and_replaced_items(client, world):
    previous = make_set(world.areas["district"], "旧", valid_from=date(2020, 1, 1), items=3)
    criteria_set = make_set(world.areas["district"], "新", previous=previous)
    new = Criterion.objects.create(
        criteria_set=criteria_set,
        code="N1",
        category=Category.MARKET,
        text="设置公平秤",
        site_types=["market", "street"],
    )
    new.replaces.set(previous.criteria.filter(code__in=["C000", "C002"]))
    client.force_login(world.users["programme_officer"])

    response = client.get(reverse("civility:criteria_detail", args=[criteria_set.pk]))

    [(label, criteria)] = response.context["groups"]
    assert str(label) == str(Category.MARKET.label)
    assert criteria[0].type_labels == [str(SiteType.MARKET.label), str(SiteType.STREET.label)]
    assert response.context["previous_count"] == 3
    page = response.content.decode()
    assert "C000、C002" in page and "设置公平秤" in page


@pytest.mark.parametrize("sets", [3, 30])
def test_the_list_runs_a_fixed_number_of_queries(
    client, world, sets, django_assert_max_num_queries
):
    previous = None
    for n in range(sets):
        area = world.areas["community_a" if n % 2 else "district"]
        previous = make_set(area, f"版本 {n}", date(2000 + n, 1, 1), previous=previous, items=2)
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(11):
        response = client.get(reverse("civility:criteria_list"))
    assert response.status_code == 200


@pytest.mark.parametrize("items", [5, 80])
def test_a_sets_page_runs_a_fixed_number_of_queries(
    client, world, items, django_assert_max_num_queries
):
    previous = make_set(world.areas["district"], "旧", valid_from=date(2020, 1, 1), items=items)
    criteria_set = make_set(world.areas["district"], "新", previous=previous, items=items)
    links = Criterion.replaces.through
    old_ids = list(previous.criteria.values_list("pk", flat=True))
    links.objects.bulk_create(
        links(from_criterion_id=new_id, to_criterion_id=old_id)
        for new_id, old_id in zip(
            criteria_set.criteria.values_list("pk", flat=True), old_ids, strict=True
        )
    )
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(12):
        response = client.get(reverse("civility:criteria_detail", args=[criteria_set.pk]))
    assert response.status_code == 200


# --- the import page --------------------------------------------------------------------


def test_checking_a_file_lists_the_bad_rows_with_their_numbers(client, world):
    client.force_login(world.users["own_staff"])
    rows = [*GOOD[1:], ["SC-01", "菜场", "", "x", "商场", ""]]

    response = client.post(
        reverse("civility:criteria_import"), import_data(world, csv_upload(rows))
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert [(row.row_number, set(row.codes)) for row in report.bad_rows] == [
        (3, {"duplicate_code", "unknown_category", "empty_text", "bad_weight", "unknown_site_type"})
    ]
    page = response.content.decode()
    assert '<th scope="row">3</th>' in page
    assert 'name="checked"' not in page  # no import button while a row is bad
    assert not CriteriaSet.objects.exists()


def test_check_then_import_the_same_file(client, world):
    previous = make_set(world.areas["district"], "区标准", valid_from=date(2020, 1, 1), items=2)
    client.force_login(world.users["own_staff"])
    url = reverse("civility:criteria_import")

    checked = client.post(url, import_data(world, csv_upload(GOOD), previous=previous.pk)).context[
        "report"
    ]
    response = client.post(
        url,
        import_data(world, csv_upload(GOOD), previous=previous.pk, checked=checked.digest),
    )

    criteria_set = CriteriaSet.objects.get(name="社区测评标准")
    assert response.status_code == 302
    assert response["Location"] == reverse("civility:criteria_detail", args=[criteria_set.pk])
    assert criteria_set.area == world.areas["community_a"]
    assert criteria_set.previous == previous
    assert list(
        criteria_set.criteria.get(code="CY-01").replaces.values_list("code", flat=True)
    ) == ["C001"]


def test_the_report_page_carries_the_details_to_the_import_step(client, world):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("civility:criteria_import"), import_data(world, csv_upload(GOOD[1:]))
    )

    page = response.content.decode()
    digest = response.context["report"].digest
    assert f'value="{digest}"' in page
    assert 'value="社区测评标准"' in page and 'value="2025-03-01"' in page


def test_importing_a_different_file_than_the_checked_one_is_a_form_error(client, world):
    client.force_login(world.users["own_staff"])
    url = reverse("civility:criteria_import")
    digest = client.post(url, import_data(world, csv_upload(GOOD[1:]))).context["report"].digest

    response = client.post(
        url,
        import_data(world, csv_upload([["X-1", "其他", "别的", "1", "其他", ""]]), checked=digest),
    )

    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not CriteriaSet.objects.exists()


def test_an_xlsx_file_is_checked_on_the_page(client, world):
    client.force_login(world.users["programme_officer"])
    data = tablib.Dataset(*GOOD[1:], headers=HEADER).export("xlsx")

    response = client.post(
        reverse("civility:criteria_import"),
        import_data(world, SimpleUploadedFile("c.xlsx", data)),
    )

    assert response.context["report"].criteria_count == 1


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"name": "", "area": "x", "valid_from": "not-a-date", "previous": "nope"},
        {"name": "x" * 300, "area": "999999", "valid_from": "2025-13-40"},
    ],
)
def test_bad_input_on_the_import_page_is_a_form_error(client, world, data):
    client.force_login(world.users["programme_officer"])

    response = client.post(reverse("civility:criteria_import"), data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not CriteriaSet.objects.exists()


def test_an_unreadable_file_is_a_form_error_keeping_the_input(client, world):
    client.force_login(world.users["programme_officer"])

    response = client.post(
        reverse("civility:criteria_import"),
        import_data(world, SimpleUploadedFile("c.xlsx", b"PK\x03\x04garbage")),
    )

    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert 'value="社区测评标准"' in response.content.decode()


def test_a_taken_first_day_is_an_error_on_that_field(client, world):
    make_set(world.areas["community_a"], valid_from=date(2025, 3, 1))
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("civility:criteria_import"), import_data(world, csv_upload(GOOD[1:]))
    )

    assert "valid_from" in response.context["form"].errors
