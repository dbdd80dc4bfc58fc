"""Inspections: starting one, the checklist of applicable criteria, answers saved as
given, findings opened (once) and withdrawn, finishing."""

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civility.models import (
    Answer,
    Category,
    CriteriaSet,
    Criterion,
    Finding,
    FindingStatus,
    Mode,
    Result,
    Site,
    SiteType,
)
from civility.services import inspections as services
from portal.models import Case
from portal.roles import AreaLevel, OrganisationType, Programme
from tests.factories import OrganisationFactory, area
from tests.scope import build_world

pytestmark = pytest.mark.django_db

DAY = date(2025, 6, 18)


@pytest.fixture
def world(db):
    return build_world(Programme.CIVILITY)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def photo(name="after.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 60)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def criteria_set(world, *, valid_from=date(2025, 1, 1), name="Local 65", where=None):
    """A set at the city: kitchen items for restaurants, market items, one shared."""
    s = CriteriaSet.objects.create(
        area=where or world.areas["city"], name=name, valid_from=valid_from
    )
    rows = [
        ("C01", Category.CATERING, "Kitchen clean and tidy", [SiteType.RESTAURANT]),
        ("C02", Category.CATERING, "Tableware disinfected", [SiteType.RESTAURANT]),
        ("C03", Category.CATERING, "Fire extinguisher in date", [SiteType.RESTAURANT]),
        ("M01", Category.MARKET, "Fair scale in place", [SiteType.MARKET]),
        ("O01", Category.OTHER, "Waste sorted", [SiteType.RESTAURANT, SiteType.MARKET]),
    ]
    for code, category, text, types in rows:
        Criterion.objects.create(
            criteria_set=s, code=code, category=category, text=text, site_types=types
        )
    return s


def site(world, *, type_=SiteType.RESTAURANT, where=None, name="Golden Dragon kitchen"):
    return Site.objects.create(
        area=where or world.areas["community_a"],
        type=type_,
        name=name,
        address="1 Main Street",
        responsible_unit=world.organisation,
    )


def officer(world):
    return world.users["programme_officer"]


def start(world, s=None, **kwargs):
    if not CriteriaSet.objects.exists():
        criteria_set(world)
    return services.inspection_start(
        actor=kwargs.pop("actor", officer(world)),
        site=s or site(world),
        mode=kwargs.pop("mode", Mode.JOINT),
        inspected_on=kwargs.pop("inspected_on", DAY),
        **kwargs,
    )


def criterion(inspection, code):
    return Criterion.objects.get(criteria_set=inspection.criteria_set, code=code)


def answer(world, inspection, code, result, note="", **kwargs):
    return services.answer_save(
        actor=kwargs.pop("actor", officer(world)),
        inspection=inspection,
        criterion=criterion(inspection, code),
        result=result,
        note=note,
        **kwargs,
    )


# --- Starting ----------------------------------------------------------------------------


def test_an_inspection_takes_the_criteria_set_in_force_on_its_date(world):
    old = criteria_set(world, valid_from=date(2020, 1, 1), name="National 140")
    new = criteria_set(world, valid_from=date(2025, 1, 1), name="Local 65")
    fire = OrganisationFactory(
        name="Fire brigade", type=OrganisationType.DEPARTMENT, area=world.areas["city"]
    )

    before = start(world, inspected_on=date(2024, 12, 31))
    after = start(world, inspected_on=DAY, departments=[fire])

    assert before.criteria_set == old
    assert after.criteria_set == new
    assert list(after.departments.all()) == [fire]
    assert list(after.inspectors.all()) == [officer(world)]


def test_a_chosen_set_must_cover_the_site_and_be_in_force(world):
    criteria_set(world)
    elsewhere = area("Other city", AreaLevel.CITY, world.areas["province"])
    foreign = criteria_set(world, where=elsewhere, name="Elsewhere")
    future = criteria_set(world, valid_from=DAY + timedelta(days=30), name="Next year")

    with pytest.raises(ValidationError) as error:
        start(world, criteria_set=foreign)
    assert error.value.error_dict["criteria_set"][0].code == "other_area"
    with pytest.raises(ValidationError) as error:
        start(world, criteria_set=future)
    assert error.value.error_dict["criteria_set"][0].code == "not_yet"


def test_no_set_in_force_is_a_form_error(world):
    criteria_set(world, valid_from=DAY + timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        start(world)
    assert error.value.error_dict["criteria_set"][0].code == "no_criteria"


def test_departments_must_be_departments_and_inspectors_in_scope(world):
    criteria_set(world)
    with pytest.raises(ValidationError) as error:
        start(world, departments=[world.organisation])
    assert error.value.error_dict["departments"][0].code == "not_department"
    with pytest.raises(ValidationError) as error:
        start(world, inspectors=[world.users["other_staff"]])
    assert error.value.error_dict["inspectors"][0].code == "inspector_scope"


def test_only_those_who_may_inspect_there_start_an_inspection(world):
    criteria_set(world)
    for persona in ("resident", "other_staff", "official", "org_member"):
        with pytest.raises(PermissionDenied):
            start(world, actor=world.users[persona])
    assert start(world, actor=world.users["own_staff"]).pk


# --- The checklist -------------------------------------------------------------------------


def test_the_checklist_shows_only_the_criteria_for_the_sites_type(world):
    kitchen = start(world)
    market = start(world, site(world, type_=SiteType.MARKET, name="East market"))

    def codes(inspection):
        return [
            item.criterion.code
            for group in services.checklist(inspection)
            for item in group["items"]
        ]

    assert codes(kitchen) == ["C01", "C02", "C03", "O01"]
    assert codes(market) == ["M01", "O01"]
    assert [g["category"] for g in services.checklist(kitchen)] == ["catering", "other"]


def test_an_answer_to_a_criterion_not_on_the_checklist_is_refused(world):
    inspection = start(world)
    with pytest.raises(ValidationError) as error:
        answer(world, inspection, "M01", Result.PASS)
    assert error.value.error_dict["criterion"][0].code == "not_applicable"


# --- Answers and findings -------------------------------------------------------------------


def test_each_answer_is_saved_as_given_and_can_change(world):
    inspection = start(world)
    answer(world, inspection, "C01", Result.PASS, note="spotless")
    assert Answer.objects.get(inspection=inspection).result == Result.PASS

    answer(world, inspection, "C01", Result.NOT_APPLICABLE)
    saved = Answer.objects.get(inspection=inspection)
    assert (saved.result, saved.note) == (Result.NOT_APPLICABLE, "")


def test_a_failed_criterion_makes_exactly_one_finding_even_when_posted_twice(world):
    inspection = start(world)
    first = answer(world, inspection, "C02", Result.FAIL, note="no steriliser")
    again = answer(world, inspection, "C02", Result.FAIL, note="no steriliser")

    assert first.changed and not again.changed
    finding = Finding.objects.get()
    assert again.finding == finding
    case = finding.case
    assert case.kind == "civility.finding"
    assert case.reference.startswith("WT-")
    assert case.status == FindingStatus.OPEN
    assert case.community == world.areas["community_a"]
    assert case.organisation == world.organisation
    assert case.handler == officer(world)
    assert "C02" in case.title and "Golden Dragon kitchen" in case.title
    assert Case.objects.filter(kind="civility.finding").count() == 1
    assert Answer.objects.filter(inspection=inspection).count() == 1


def test_a_failed_answer_may_bring_a_photo_for_the_finding(world):
    inspection = start(world)
    answer(world, inspection, "C03", Result.FAIL, photo=photo("extinguisher.png"))
    assert Finding.objects.get().case.attachments.count() == 1
    with pytest.raises(ValidationError) as error:
        answer(world, inspection, "C01", Result.PASS, photo=photo())
    assert error.value.error_dict["photo"][0].code == "photo_not_fail"


def test_fail_then_pass_withdraws_the_finding_and_fail_again_reopens_it(world):
    inspection = start(world)
    answer(world, inspection, "C01", Result.FAIL)
    finding = Finding.objects.get()

    answer(world, inspection, "C01", Result.PASS)
    finding.case.refresh_from_db()
    assert finding.case.closed_at is not None
    assert finding.case.status == FindingStatus.WITHDRAWN
    assert Finding.objects.filter(services_withdrawn()).count() == 1

    answer(world, inspection, "C01", Result.FAIL)
    finding.case.refresh_from_db()
    assert finding.case.closed_at is None
    assert finding.case.status == FindingStatus.OPEN
    assert Finding.objects.count() == 1


def services_withdrawn():
    from civility.services.findings import withdrawn_q

    return withdrawn_q()


def test_a_finding_being_dealt_with_keeps_its_failure(world):
    from civility.models import Resolution
    from civility.services.findings import finding_resolve

    inspection = start(world)
    answer(world, inspection, "C01", Result.FAIL)
    finding_resolve(
        actor=officer(world),
        finding=Finding.objects.get(),
        resolution=Resolution.DEADLINE,
        rectify_by=date.today() + timedelta(days=7),
    )
    with pytest.raises(ValidationError) as error:
        answer(world, inspection, "C01", Result.PASS)
    assert error.value.error_dict["result"][0].code == "finding_in_hand"


def test_a_site_above_community_level_places_its_finding_in_the_first_community(world):
    street = site(world, type_=SiteType.RESTAURANT, where=world.areas["subdistrict"])
    inspection = start(world, street)
    answer(world, inspection, "C01", Result.FAIL)
    assert Finding.objects.get().case.community == world.areas["community_a"]


def test_a_site_on_a_grid_places_its_finding_in_the_grids_community(world):
    inspection = start(world, site(world, where=world.areas["grid_a1"]))
    answer(world, inspection, "C01", Result.FAIL)
    assert Finding.objects.get().case.community == world.areas["community_a"]


def test_who_may_answer(world):
    inspection = start(world)
    for persona in ("official", "org_member", "other_staff", "resident"):
        with pytest.raises(PermissionDenied):
            answer(world, inspection, "C01", Result.PASS, actor=world.users[persona])
    answer(world, inspection, "C01", Result.PASS, actor=world.users["own_staff"])


def test_bad_values_are_field_errors(world):
    inspection = start(world)
    with pytest.raises(ValidationError) as error:
        answer(world, inspection, "C01", "maybe")
    assert error.value.error_dict["result"][0].code == "result"
    with pytest.raises(ValidationError) as error:
        answer(world, inspection, "C01", Result.PASS, note="x" * 501)
    assert error.value.error_dict["note"][0].code == "note_length"


# --- Finishing -------------------------------------------------------------------------------


def test_finishing_needs_every_item_answered_and_then_locks_the_answers(world):
    inspection = start(world)
    answer(world, inspection, "C01", Result.PASS)
    with pytest.raises(ValidationError) as error:
        services.inspection_finish(actor=officer(world), inspection=inspection)
    assert error.value.code == "unanswered"

    for code in ("C02", "C03", "O01"):
        answer(world, inspection, code, Result.NOT_APPLICABLE)
    services.inspection_finish(actor=officer(world), inspection=inspection)
    finished_at = inspection.finished_at
    assert finished_at is not None
    services.inspection_finish(actor=officer(world), inspection=inspection)
    inspection.refresh_from_db()
    assert inspection.finished_at == finished_at

    with pytest.raises(ValidationError) as error:
        answer(world, inspection, "C01", Result.FAIL)
    assert error.value.code == "finished"
