"""Importing an estate's households and residents from XLSX or CSV: check first, then import."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from housing.models import Building, Household, Person, Residence, Unit
from housing.services import registry
from housing.services.importing import (
    COLUMNS,
    MAX_BYTES,
    registry_import_apply,
    registry_import_check,
)
from portal import crypto
from portal.personal import id_check_character
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

HEADER_ZH = [
    "楼栋",
    "单元",
    "楼层",
    "房号",
    "面积",
    "居住情况",
    "姓名",
    "身份证号",
    "手机号",
    "与房屋关系",
]
HEADER_EN = [
    "building",
    "unit",
    "floor",
    "room",
    "area_m2",
    "occupancy",
    "name",
    "id_number",
    "phone",
    "relation",
]


def id_number(sequence="123", birth="19800101", region="110105") -> str:
    """A valid 18-character ID number: the check character computed."""
    first17 = f"{region}{birth}{sequence}"
    return first17 + id_check_character(first17)


def with_wrong_check(number: str) -> str:
    wrong = "1" if number[-1] != "1" else "2"
    return number[:-1] + wrong


ZHANG = id_number("123")
LI = id_number("234")
WANG = id_number("345")


def csv_bytes(rows, header=HEADER_ZH) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows, header=HEADER_ZH) -> bytes:
    return tablib.Dataset(*rows, headers=header).export("xlsx")


def flat(room, floor, name, id_no, *, building="1", phone="13812345678", relation="业主"):
    return [building, "1", floor, room, "89.50", "自住", name, id_no, phone, relation]


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Building, Unit, Household, Person, Residence)
    }


@pytest.fixture
def estate(world):
    estate = registry.estate_create(
        actor=world.users["own_staff"], community=world.areas["community_a"], name="清怡院"
    )
    building = registry.building_ensure(estate=estate, number="1", floors=6)
    registry.unit_ensure(building=building, number="1")
    return estate


@pytest.fixture
def staff(world):
    return world.users["own_staff"]


# A file with two good rows and three bad ones: a wrong ID check character (row 3), a
# building the estate does not have (row 4), and row 2's person again for the same room.
MIXED = [
    flat("101", 1, "张三", ZHANG),
    flat("102", 1, "李四", with_wrong_check(LI)),
    flat("901", 9, "王五", WANG, building="9"),
    flat("101", 1, "张三", ZHANG),
    flat("201", 2, "赵六", LI),
]


def check(staff, estate, data, filename="registry.csv"):
    return registry_import_check(actor=staff, estate=estate, data=data, filename=filename)


def apply(staff, estate, data, filename="registry.csv", **kwargs):
    kwargs.setdefault("valid_rows_only", False)
    return registry_import_apply(actor=staff, estate=estate, data=data, filename=filename, **kwargs)


# --- The services ----------------------------------------------------------------------


def test_a_dry_run_lists_each_bad_row_by_its_spreadsheet_row_and_saves_nothing(staff, estate):
    before = counts()

    report = check(staff, estate, csv_bytes(MIXED))

    assert [(row.row_number, row.codes) for row in report.bad_rows] == [
        (3, ["invalid_id_check"]),
        (4, ["unknown_building"]),
        (5, ["duplicate_in_file"]),
    ]
    assert all(reason for row in report.bad_rows for reason in row.reasons)
    assert "9" in report.bad_rows[1].reasons[0]
    assert "2" in report.bad_rows[2].reasons[0]  # names the row it repeats
    assert (report.rows_read, report.valid_row_count) == (5, 2)
    assert (report.households_to_create, report.people_to_create) == (2, 2)
    assert counts() == before


def test_applying_a_file_with_bad_rows_is_refused_unless_only_valid_rows_are_asked_for(
    staff, estate
):
    before = counts()

    with pytest.raises(ValidationError) as refused:
        apply(staff, estate, csv_bytes(MIXED))

    assert refused.value.code == "bad_rows"
    assert counts() == before


def test_importing_only_the_valid_rows_creates_exactly_those(staff, estate):
    result = apply(staff, estate, csv_bytes(MIXED), valid_rows_only=True)

    assert (result.rows_imported, result.rows_skipped) == (2, 3)
    assert (result.households_created, result.people_created, result.residences_created) == (
        2,
        2,
        2,
    )
    households = Household.objects.filter(unit__building__estate=estate)
    assert sorted(households.values_list("room_number", flat=True)) == ["101", "201"]
    assert sorted(Person.objects.values_list("name", flat=True)) == ["张三", "赵六"]
    assert not Building.objects.filter(number="9").exists()
    room_101 = households.get(room_number="101")
    assert (room_101.floor, room_101.area_m2, room_101.occupancy) == (1, Decimal("89.50"), "owner")


def test_a_report_predicts_what_the_import_creates(staff, estate):
    data = csv_bytes(MIXED)

    report = check(staff, estate, data)
    result = apply(staff, estate, data, valid_rows_only=True, checked_digest=report.digest)

    assert (
        report.households_to_create,
        report.people_to_create,
        report.residences_to_create,
    ) == (result.households_created, result.people_created, result.residences_created)


def test_an_owner_of_two_flats_is_one_person_with_two_residences(staff, estate):
    rows = [
        flat("101", 1, "张三", ZHANG),
        flat("102", 1, "张三", ZHANG),
        flat("101", 1, "张小三", "", relation="家庭成员", phone=""),
    ]

    result = apply(staff, estate, csv_bytes(rows))

    assert (result.households_created, result.people_created, result.residences_created) == (
        2,
        2,
        3,
    )
    owner = registry.find_person_by_id(ZHANG)
    assert sorted(owner.residences.values_list("household__room_number", flat=True)) == [
        "101",
        "102",
    ]
    assert set(owner.residences.values_list("relation", flat=True)) == {"owner"}
    child = Person.objects.get(name="张小三")
    assert child.residences.get().relation == "family"


def test_the_same_id_number_under_another_name_is_a_bad_row(staff, estate):
    rows = [flat("101", 1, "张三", ZHANG), flat("102", 1, "张珊", ZHANG)]

    report = check(staff, estate, csv_bytes(rows))

    assert [(row.row_number, row.codes) for row in report.bad_rows] == [(3, ["id_conflict"])]


def test_a_person_already_on_file_is_a_bad_row(staff, estate, world):
    registry.person_create(
        actor=staff, community=world.areas["community_a"], name="张三", id_number=ZHANG
    )

    report = check(staff, estate, csv_bytes([flat("101", 1, "张三", ZHANG)]))

    assert [(row.row_number, row.codes) for row in report.bad_rows] == [(2, ["already_on_file"])]


def test_the_id_number_is_stored_encrypted_and_shown_masked(staff, estate):
    apply(staff, estate, csv_bytes([flat("101", 1, "张三", ZHANG)]))

    person = Person.objects.get()
    assert person.id_number_encrypted and ZHANG not in person.id_number_encrypted
    assert crypto.decrypt(person.id_number_encrypted) == ZHANG
    assert person.id_number_masked == f"{ZHANG[:6]}********{ZHANG[-4:]}"
    assert person.id_number_masked.startswith("110105") and len(person.id_number_masked) == 18
    assert (person.phone, person.masked_phone) == ("13812345678", "138****5678")


@pytest.mark.parametrize(
    ("build", "header", "filename"),
    [
        (csv_bytes, HEADER_ZH, "住户.csv"),
        (csv_bytes, HEADER_EN, "registry.csv"),
        (xlsx_bytes, HEADER_ZH, "住户.xlsx"),
        (xlsx_bytes, HEADER_EN, "registry.xlsx"),
    ],
    ids=["csv-chinese", "csv-english", "xlsx-chinese", "xlsx-english"],
)
def test_csv_and_xlsx_files_with_either_headers_import_alike(
    staff, estate, build, header, filename
):
    rows = [
        ["1", "1", 1, "101", 89.5, "自住", "张三", ZHANG, 13812345678, "业主"],
        ["1", "1", 2, "201", "72.25", "rented", "李四", LI, "", "tenant"],
    ]
    data = build(rows, header)

    report = check(staff, estate, data, filename)
    result = apply(staff, estate, data, filename)

    assert report.is_clean and report.rows_read == 2
    assert (result.households_created, result.people_created) == (2, 2)
    rented = Household.objects.get(room_number="201")
    assert (rented.area_m2, rented.occupancy) == (Decimal("72.25"), "rented")
    assert Residence.objects.get(household=rented).relation == "tenant"


def test_a_new_building_is_created_only_when_the_file_gives_its_floors(staff, estate):
    header = [*HEADER_ZH, "楼层数"]
    rows = [
        [*flat("101", 1, "张三", ZHANG, building="2"), 7],
        [*flat("102", 1, "李四", LI, building="2"), ""],
    ]

    result = apply(staff, estate, csv_bytes(rows, header))

    assert result.households_created == 2
    building = Building.objects.get(estate=estate, number="2")
    assert building.floors == 7 and building.units.get().floors == 7


def test_rows_keep_their_spreadsheet_numbers_after_blank_lines(staff, estate):
    data = csv_bytes([flat("101", 1, "张三", ZHANG), [], [], flat("102", "一楼", "李四", LI)])

    report = check(staff, estate, data)

    assert [(row.row_number, row.codes) for row in report.bad_rows] == [(5, ["invalid_floor"])]


def test_missing_values_and_bad_phones_are_each_named(staff, estate):
    rows = [["1", "1", 1, "", "-3", "合租", "", ZHANG, "12345", "朋友"]]

    (bad,) = check(staff, estate, csv_bytes(rows)).bad_rows

    assert bad.row_number == 2
    assert bad.codes == [
        "missing_room",
        "missing_name",
        "invalid_area",
        "invalid_occupancy",
        "invalid_relation",
        "invalid_phone",
    ]


def test_an_id_number_excel_turned_into_a_number_is_explained(staff, estate):
    rows = [["1", "1", 1, "101", 89.5, "自住", "张三", float(ZHANG), "", "业主"]]

    (bad,) = check(staff, estate, xlsx_bytes(rows), "registry.xlsx").bad_rows

    assert bad.codes == ["id_as_number"]


def test_staff_of_another_community_may_not_import(world, estate):
    with pytest.raises(PermissionDenied):
        check(world.users["other_staff"], estate, csv_bytes([flat("101", 1, "张三", ZHANG)]))
    with pytest.raises(PermissionDenied):
        apply(world.users["other_staff"], estate, csv_bytes([flat("101", 1, "张三", ZHANG)]))
    assert not Person.objects.exists()


def test_a_file_without_the_required_columns_is_refused_as_a_whole(staff, estate):
    with pytest.raises(ValidationError) as refused:
        check(staff, estate, csv_bytes([["1", "张三"]], header=["楼栋", "姓名"]))

    assert refused.value.code == "missing_columns"
    assert "房号" in refused.value.messages[0]


# --- The pages -------------------------------------------------------------------------


def import_url(estate):
    return reverse("housing:estate_import", args=[estate.pk])


def upload(data: bytes, name="registry.csv"):
    return SimpleUploadedFile(name, data)


def test_scope_of_the_import_page(client, world, estate):
    # Roles that can import nowhere (resident, official, programme officer, organisation
    # member) get 403: the page is not for them at all. Staff who could import into
    # their own community get 404 for another community's estate, as for any row out
    # of their reach.
    expected = {
        "anonymous": 302,
        "resident": 403,
        "other_staff": 404,
        "own_staff": 200,
        "programme_officer": 403,
        "official": 403,
        "org_member": 403,
    }
    check_scope(client, world, import_url(estate), expected)
    # An empty POST is a form error (200) for those who may import.
    check_scope(client, world, import_url(estate), expected, method="post")
    assert not Household.objects.filter(unit__building__estate=estate).exists()


def test_the_import_page_lists_the_columns_and_links_the_template(client, staff, estate):
    client.force_login(staff)

    page = client.get(import_url(estate)).content.decode()

    assert 'type="file"' in page and 'for="id_file"' in page
    assert reverse("housing:import_template") in page
    for column in COLUMNS:
        assert column.chinese in page and column.key in page


def test_scope_of_the_template_download(client, world):
    responses = check_scope(
        client,
        world,
        reverse("housing:import_template"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 403,
            "org_member": 403,
        },
    )

    response = responses["own_staff"]
    assert response["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == [c.chinese for c in COLUMNS]
    assert sheet.max_row == 1


def test_staff_check_a_file_then_import_only_its_valid_rows(client, staff, estate):
    client.force_login(staff)
    data = csv_bytes(MIXED)
    before = counts()

    checked = client.post(import_url(estate), {"file": upload(data)}, HTTP_ACCEPT_LANGUAGE="en")

    assert checked.status_code == 200
    assert counts() == before
    report = checked.context["report"]
    assert [row.row_number for row in report.bad_rows] == [3, 4, 5]
    page = checked.content.decode()
    for row in report.bad_rows:
        assert f'<th scope="row">{row.row_number}</th>' in page
    assert "Import only the 2 valid rows" in page
    apply_form = checked.context["apply_form"]
    assert apply_form.initial == {"checked": report.digest, "valid_rows_only": True}

    imported = client.post(
        import_url(estate),
        {"file": upload(data), "checked": report.digest, "valid_rows_only": "True"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert imported.status_code == 302
    (message,) = get_messages(imported.wsgi_request)
    assert str(message).startswith("Imported 2 rows. New: 2 households, 2 people")
    assert imported["Location"] == reverse("housing:estate_detail", args=[estate.pk])
    assert Household.objects.count() == before["Household"] + 2
    assert Person.objects.count() == before["Person"] + 2


def test_the_import_step_refuses_a_file_other_than_the_checked_one(client, staff, estate):
    client.force_login(staff)
    report = client.post(import_url(estate), {"file": upload(csv_bytes(MIXED))}).context["report"]
    other = csv_bytes([flat("301", 3, "钱七", WANG)])

    response = client.post(
        import_url(estate),
        {"file": upload(other), "checked": report.digest, "valid_rows_only": "True"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Person.objects.exists()


def test_importing_all_rows_of_a_file_with_bad_rows_is_a_form_error(client, staff, estate):
    client.force_login(staff)
    data = csv_bytes(MIXED)
    report = client.post(import_url(estate), {"file": upload(data)}).context["report"]

    response = client.post(import_url(estate), {"file": upload(data), "checked": report.digest})

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"),
        ("empty.csv", b""),
        ("blank.csv", b"  \n\n"),
        ("header-only.csv", "楼栋,单元,楼层,房号,面积,姓名,与房屋关系\n".encode()),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook"),
        ("named.xlsx", b"building,unit\n1,1\n"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
        ("notes.csv", b"hello, world\nnothing here\n"),
        ("huge.csv", b"a" * (MAX_BYTES + 1)),
    ],
)
def test_a_malformed_upload_is_a_form_error(client, staff, estate, name, data):
    client.force_login(staff)

    response = client.post(import_url(estate), {"file": upload(data, name)})

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert "report" not in response.context
    assert not Household.objects.filter(unit__building__estate=estate).exists()


def test_a_post_without_a_file_is_a_form_error(client, staff, estate):
    client.force_login(staff)

    response = client.post(import_url(estate), {})

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
