"""Criteria sets: the version in force, the criteria for a type of site, and importing
a set from CSV or XLSX with a dry run that names bad rows."""

import io
from datetime import date
from decimal import Decimal

import pytest
import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from civility.models import Category, CriteriaSet, Criterion, SiteType
from civility.services import criteria as services
from civility.services.criteria import applicable_criteria, criteria_import, criteria_in_force
from portal.roles import Programme, Role
from tests.factories import UserFactory, member
from tests.scope import build_world

pytestmark = pytest.mark.django_db

HEADER = ["编号", "类别", "测评内容", "权重", "适用点位", "替代条目"]


@pytest.fixture
def world(db):
    """The scope world with a civility programme officer at the district."""
    return build_world(Programme.CIVILITY)


def make_set(area, name="测评标准", valid_from=date(2024, 1, 1), previous=None, items=()):
    criteria_set = CriteriaSet.objects.create(
        area=area, name=name, valid_from=valid_from, previous=previous
    )
    for code, category, site_types in items:
        Criterion.objects.create(
            criteria_set=criteria_set,
            code=code,
            category=category,
            text=f"条目 {code}",
            site_types=site_types,
        )
    return criteria_set


def csv_file(rows, header=HEADER, name="criteria.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    for row in [header, *rows]:
        out.write(",".join(f'"{cell}"' for cell in row) + "\r\n")
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def xlsx_file(rows, header=HEADER, name="criteria.xlsx") -> SimpleUploadedFile:
    data = tablib.Dataset(*rows, headers=header).export("xlsx")
    return SimpleUploadedFile(name, data)


def run_import(world, file, *, actor="programme_officer", dry_run=False, **overrides):
    values = {
        "actor": world.users[actor],
        "area": world.areas["district"],
        "name": "区测评标准（2025版）",
        "valid_from": date(2025, 1, 1),
        "previous": None,
        "file": file,
        "dry_run": dry_run,
        **overrides,
    }
    return criteria_import(**values)


# --- the set in force ---------------------------------------------------------------


def test_the_latest_set_already_in_force_is_the_one_in_force(world):
    city = world.areas["city"]
    national = make_set(city, "140 项", valid_from=date(2023, 1, 1))
    local = make_set(city, "65 项", valid_from=date(2024, 6, 1), previous=national)
    make_set(city, "未来版", valid_from=date(2030, 1, 1), previous=local)

    assert criteria_in_force(city, on=date(2024, 7, 1)) == local
    assert criteria_in_force(city, on=date(2024, 5, 31)) == national
    assert criteria_in_force(city, on=date(2022, 12, 31)) is None


def test_an_area_without_its_own_set_inherits_the_nearest_ancestors(world):
    city_set = make_set(world.areas["city"], "市标准", valid_from=date(2024, 6, 1))
    district_set = make_set(world.areas["district"], "区标准", valid_from=date(2020, 1, 1))

    # The district's own (older) set wins over the city's newer one below the district.
    assert criteria_in_force(world.areas["community_a"], on=date(2025, 1, 1)) == district_set
    assert criteria_in_force(world.areas["grid_a1"], on=date(2025, 1, 1)) == district_set
    assert criteria_in_force(world.areas["city"], on=date(2025, 1, 1)) == city_set
    assert criteria_in_force(world.areas["province"], on=date(2025, 1, 1)) is None


def test_before_its_own_set_starts_an_area_follows_its_ancestor(world):
    city_set = make_set(world.areas["city"], "市标准", valid_from=date(2020, 1, 1))
    make_set(world.areas["district"], "区标准", valid_from=date(2025, 1, 1))

    assert criteria_in_force(world.areas["community_a"], on=date(2024, 12, 31)) == city_set


def test_the_list_marks_the_same_set_in_force_as_criteria_in_force(world):
    city = world.areas["city"]
    old = make_set(city, "旧", valid_from=date(2023, 1, 1))
    current = make_set(city, "新", valid_from=date(2024, 1, 1), previous=old)
    future = make_set(city, "未来", valid_from=date(2030, 1, 1), previous=current)

    marked = dict(
        services.with_in_force(CriteriaSet.objects.all(), date(2025, 1, 1)).values_list(
            "pk", "in_force"
        )
    )

    assert criteria_in_force(city, on=date(2025, 1, 1)) == current
    assert bool(marked[current.pk]) and not marked[old.pk] and not marked[future.pk]


# --- the criteria for a type of site ------------------------------------------------


@pytest.mark.parametrize("path", ["python", "database"])
def test_only_the_criteria_for_the_sites_type_apply(world, monkeypatch, path):
    if path == "python":
        monkeypatch.setattr(services, "json_contains_supported", lambda alias: False)
    criteria_set = make_set(
        world.areas["city"],
        items=[
            ("C1", Category.CATERING, [SiteType.RESTAURANT]),
            ("C2", Category.CATERING, [SiteType.RESTAURANT, SiteType.TOILET]),
            ("M1", Category.MARKET, [SiteType.MARKET, SiteType.STREET]),
            ("O1", Category.OTHER, []),
        ],
    )
    other_set = make_set(
        world.areas["city"],
        valid_from=date(2020, 1, 1),
        items=[("X1", Category.CATERING, [SiteType.RESTAURANT])],
    )

    restaurant = applicable_criteria(criteria_set, SiteType.RESTAURANT)
    street = applicable_criteria(criteria_set, SiteType.STREET)

    assert sorted(restaurant.values_list("code", flat=True)) == ["C1", "C2"]
    assert list(street.values_list("code", flat=True)) == ["M1"]
    assert not applicable_criteria(criteria_set, SiteType.ESTATE).exists()
    assert list(applicable_criteria(other_set, SiteType.RESTAURANT)) == list(
        other_set.criteria.all()
    )


@pytest.mark.postgres
def test_postgresql_filters_the_site_types_in_the_database(world, django_assert_num_queries):
    criteria_set = make_set(
        world.areas["city"],
        items=[("C1", Category.CATERING, ["restaurant"]), ("M1", Category.MARKET, ["market"])],
    )

    with django_assert_num_queries(1):
        codes = list(applicable_criteria(criteria_set, "restaurant").values_list("code", flat=True))
    assert codes == ["C1"]


# --- importing: the dry run -----------------------------------------------------------


BAD_ROWS = [
    ["A1", "餐饮", "后厨地面干净", "2", "餐饮店", ""],  # row 2: good
    ["A1", "餐饮", "重复编号", "1", "餐饮店", ""],  # row 3: duplicate code
    ["B1", "菜场卫生", "公平秤", "1", "农贸市场", ""],  # row 4: unknown category
    ["B2", "farmers' market", "投诉点", "1", "菜场、商场", ""],  # row 5: unknown site type
    ["B3", "market", "亮证经营", "很多", "market", ""],  # row 6: bad weight
    ["B4", "农贸市场", "垃圾分类", "-1", "农贸市场", ""],  # row 7: negative weight
    ["", "", "", "", "", ""],  # row 8: blank, skipped but counted
    ["C1", "背街小巷", "无乱贴乱画", "1", "背街小巷", "OLD-9"],  # row 9: unknown replaced
    ["C2", "背街小巷", "", "1", "背街小巷", ""],  # row 10: empty text
]


def test_the_dry_run_names_each_bad_row_by_its_number_and_saves_nothing(world):
    previous = make_set(
        world.areas["district"],
        valid_from=date(2023, 1, 1),
        items=[("OLD-1", Category.BACK_STREET, ["street"])],
    )
    sets_before = CriteriaSet.objects.count()
    criteria_before = Criterion.objects.count()

    report = run_import(world, csv_file(BAD_ROWS), dry_run=True, previous=previous)

    assert {row.row_number: row.codes for row in report.bad_rows} == {
        3: ["duplicate_code"],
        4: ["unknown_category"],
        5: ["unknown_site_type"],
        6: ["bad_weight"],
        7: ["bad_weight"],
        9: ["unknown_replaced_code"],
        10: ["empty_text"],
    }
    assert report.rows_read == 8
    assert report.criteria_count == 1
    assert report.criteria_set is None
    assert "菜场" in report.bad_rows[2].reasons[0] and "OLD-9" in report.bad_rows[5].reasons[0]
    assert CriteriaSet.objects.count() == sets_before
    assert Criterion.objects.count() == criteria_before


def test_replaced_codes_without_a_replaced_set_are_a_bad_row(world):
    rows = [["A1", "餐饮", "后厨", "1", "餐饮店", "OLD-1"]]

    report = run_import(world, csv_file(rows), dry_run=True)

    assert [(row.row_number, row.codes) for row in report.bad_rows] == [(2, ["no_previous_set"])]


def test_a_real_import_refuses_a_file_with_bad_rows_and_saves_nothing(world):
    with pytest.raises(ValidationError) as error:
        run_import(world, csv_file(BAD_ROWS))

    assert error.value.code == "bad_rows"
    assert not CriteriaSet.objects.exists()
    assert not Criterion.objects.exists()


# --- importing: a good file -----------------------------------------------------------


GOOD_ROWS = [
    ["CY-01", "餐饮", "后厨卫生整洁", "2.5", "餐饮店", "OLD-1, OLD-2"],
    ["CY-02", "catering", "餐具消毒", "", "restaurant、公共厕所", "OLD-3"],
    ["SC-01", "农贸市场", "设置公平秤", "1", "农贸市场，背街小巷", ""],
    ["XQ-01", "residential estate", "垃圾分类", "0.5", "住宅小区", ""],
]


@pytest.fixture
def previous_set(world):
    return make_set(
        world.areas["city"],
        name="全国文明城市测评体系（140 项）",
        valid_from=date(2023, 1, 1),
        items=[
            ("OLD-1", Category.CATERING, ["restaurant"]),
            ("OLD-2", Category.CATERING, ["restaurant"]),
            ("OLD-3", Category.CATERING, ["restaurant"]),
            ("OLD-4", Category.MARKET, ["market"]),
        ],
    )


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_a_good_file_creates_the_set_its_criteria_and_the_replaces_links(
    world, previous_set, make_file
):
    report = run_import(world, make_file(GOOD_ROWS), previous=previous_set)

    criteria_set = report.criteria_set
    assert report.is_clean and report.criteria_count == 4 and report.links_count == 3
    assert criteria_set.area == world.areas["district"]
    assert criteria_set.previous == previous_set
    assert criteria_set.valid_from == date(2025, 1, 1)
    criteria = {c.code: c for c in criteria_set.criteria.all()}
    assert set(criteria) == {"CY-01", "CY-02", "SC-01", "XQ-01"}
    assert criteria["CY-01"].weight == Decimal("2.50")
    assert criteria["CY-02"].weight == Decimal("1.00")
    assert criteria["CY-02"].category == Category.CATERING
    assert criteria["CY-02"].site_types == ["restaurant", "toilet"]
    assert criteria["SC-01"].site_types == ["market", "street"]
    assert criteria["XQ-01"].category == Category.ESTATE
    assert sorted(criteria["CY-01"].replaces.values_list("code", flat=True)) == ["OLD-1", "OLD-2"]
    assert list(criteria["CY-02"].replaces.values_list("code", flat=True)) == ["OLD-3"]
    assert not criteria["SC-01"].replaces.exists()
    old = previous_set.criteria.get(code="OLD-1")
    assert list(old.replaced_by.all()) == [criteria["CY-01"]]
    assert criteria_in_force(world.areas["community_a"], on=date(2025, 2, 1)) == criteria_set


def test_the_dry_run_of_a_good_file_reports_what_the_import_creates(world, previous_set):
    report = run_import(world, xlsx_file(GOOD_ROWS), previous=previous_set, dry_run=True)

    assert report.is_clean
    assert (report.criteria_count, report.links_count, report.previous_count) == (4, 3, 4)
    assert not CriteriaSet.objects.filter(area=world.areas["district"]).exists()


def test_english_headers_in_any_order_are_read(world):
    header = ["site types", "text", "code", "category", "extra"]
    rows = [["market", "Fair scale", "M-1", "market", "ignored"]]

    report = run_import(world, csv_file(rows, header=header))

    assert report.ignored_columns == ("extra",)
    assert report.criteria_set.criteria.get().site_types == ["market"]


def test_the_import_refuses_a_file_other_than_the_one_checked(world):
    checked = run_import(world, csv_file(GOOD_ROWS[2:]), dry_run=True)

    with pytest.raises(ValidationError) as error:
        run_import(world, csv_file(GOOD_ROWS[3:]), checked_digest=checked.digest)

    assert error.value.code == "not_checked"
    assert not CriteriaSet.objects.exists()


def test_the_import_accepts_the_file_it_checked(world):
    checked = run_import(world, csv_file(GOOD_ROWS[2:]), dry_run=True)

    report = run_import(world, csv_file(GOOD_ROWS[2:]), checked_digest=checked.digest)

    assert report.criteria_set.criteria.count() == 2


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "empty.csv", "empty"),
        (b"PK\x03\x04not really a zip", "broken.xlsx", "unreadable"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "old.xls", "old_excel"),
        ("编号,类别\r\nA1,餐饮\r\n".encode(), "short.csv", "missing_columns"),
        ("编号,类别,测评内容,适用点位\r\n".encode(), "header.csv", "no_rows"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(world, content, name, code):
    with pytest.raises(ValidationError) as error:
        run_import(world, SimpleUploadedFile(name, content), dry_run=True)

    assert error.value.code == code


# --- importing: the set's own details and who may import -------------------------------


def test_the_sets_details_are_checked_by_field(world):
    make_set(world.areas["district"], valid_from=date(2025, 1, 1))
    elsewhere = make_set(world.areas["community_b"], valid_from=date(2020, 1, 1))

    with pytest.raises(ValidationError) as error:
        run_import(world, csv_file(GOOD_ROWS[2:]), name="  ", previous=elsewhere, dry_run=True)

    assert {k: [e.code for e in v] for k, v in error.value.error_dict.items()} == {
        "name": ["required"],
        "valid_from": ["same_day"],
        "previous": ["previous_elsewhere"],
    }


def test_the_replaced_set_must_be_older(world):
    newer = make_set(world.areas["city"], valid_from=date(2026, 1, 1))

    with pytest.raises(ValidationError) as error:
        run_import(world, csv_file(GOOD_ROWS[2:]), previous=newer, dry_run=True)

    assert error.value.error_dict["previous"][0].code == "previous_not_older"


@pytest.mark.parametrize(
    ("actor", "area", "allowed"),
    [
        ("programme_officer", "district", True),
        ("programme_officer", "community_a", True),
        ("programme_officer", "city", False),
        ("own_staff", "community_a", True),
        ("own_staff", "district", False),
        ("other_staff", "community_a", False),
        ("official", "district", False),
        ("resident", "community_a", False),
        ("org_member", "community_a", False),
    ],
)
def test_only_civility_officers_and_community_staff_import_in_their_area(
    world, actor, area, allowed
):
    def attempt():
        return run_import(
            world, csv_file(GOOD_ROWS[2:]), actor=actor, area=world.areas[area], dry_run=False
        )

    if allowed:
        assert attempt().criteria_set.area == world.areas[area]
    else:
        with pytest.raises(PermissionDenied):
            attempt()
        assert not CriteriaSet.objects.exists()


def test_a_housing_programme_officer_may_not_import(world):
    officer = UserFactory(username="housing_officer")
    member(officer, Role.PROGRAMME_OFFICER, area=world.areas["district"], programme="housing")

    with pytest.raises(PermissionDenied):
        criteria_import(
            actor=officer,
            area=world.areas["district"],
            name="x",
            valid_from=date(2025, 1, 1),
            previous=None,
            file=csv_file(GOOD_ROWS[2:]),
            dry_run=True,
        )
