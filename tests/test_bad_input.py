"""Every form answers empty and malformed input with a form error, never a 500."""

import pytest
from django.urls import reverse

from portal.models import User

pytestmark = pytest.mark.django_db

MALFORMED_AREA = {"role": "no-such-role", "area": "not-a-number"}

# (url name, who is logged in, URL arguments, malformed data); each is also sent empty.
FORMS = [
    ("login", None, None, {"username": "x" * 500, "password": "\x00"}),
    ("password_reset", None, None, {"email": "not-an-address"}),
    (
        "password_change",
        "admin",
        None,
        {"old_password": "wrong", "new_password1": "a", "new_password2": "b"},
    ),
    (
        "portal:register",
        None,
        None,
        {
            "display_name": "x" * 300,
            "phone": "12345",
            "community": "0",
            "password1": "1",
            "password2": "2",
        },
    ),
    ("portal:my_account", "resident.wangpeng", None, {"display_name": "", "email": "@@"}),
    (
        "portal:account_create",
        "secretary.tuanjie",
        None,
        {"display_name": "", "phone": "+1 555 0100", **MALFORMED_AREA},
    ),
    ("portal:membership_grant", "secretary.tuanjie", "resident.wangpeng", MALFORMED_AREA),
    ("portal:account_handover", "secretary.tuanjie", "grid.tuanjie", {"successor": "abc"}),
    ("portal:two_factor_setup", "secretary.tuanjie", None, {"token": "abcdef"}),
    ("portal:privacy_edit", "admin", None, {"controller": "", "body_zh": "", "contact": "x" * 300}),
]


# Filters of list pages are GET forms: malformed values are form errors on the page.
GET_FILTERS = [
    ("portal:audit_reveals", "admin", {"start": "31-31-2026", "kind": "zzz"}),
    ("portal:audit_exports", "admin", {"end": "x"}),
    ("portal:audit_logins", "admin", {"start": "2026-02-30"}),
    ("portal:audit_failed_logins", "admin", {"end": "yesterday"}),
    ("portal:audit_refused", "admin", {"status": "500"}),
]


@pytest.mark.parametrize(
    ("name", "login", "malformed"), GET_FILTERS, ids=[f[0] for f in GET_FILTERS]
)
def test_malformed_list_filters_are_form_errors(client, demo_data, name, login, malformed):
    client.force_login(User.objects.get(username=login))
    response = client.get(reverse(name), malformed)

    assert response.status_code == 200
    assert response.context["filter"].form.errors


@pytest.mark.parametrize(("name", "login", "target", "malformed"), FORMS, ids=[f[0] for f in FORMS])
def test_empty_and_malformed_input_is_a_form_error(
    client, demo_data, name, login, target, malformed
):
    if login:
        client.force_login(User.objects.get(username=login))
    args = [User.objects.get(username=target).pk] if target else []
    for data in ({}, malformed):
        response = client.post(reverse(name, args=args), data)

        assert response.status_code == 200, (name, data)
        assert response.context["form"].errors, (name, data)


def test_malformed_values_are_kept_on_the_form(client, demo_data):
    response = client.post(reverse("password_reset"), {"email": "not-an-address"})

    assert 'value="not-an-address"' in response.content.decode()


@pytest.mark.parametrize(
    ("name", "data"),
    [("set_language", {"language": "xx-nope"}), ("portal:text_size", {"size": "<huge>"})],
)
def test_switches_ignore_nonsense_values(client, name, data):
    response = client.post(reverse(name), data)

    assert response.status_code == 302


@pytest.fixture
def open_case(demo_data):
    from portal.models import Area
    from tests.kitapp.services import ticket_open

    secretary = User.objects.get(username="secretary.tuanjie")
    resident = User.objects.get(username="resident.wangpeng")
    case = ticket_open(
        actor=secretary,
        community=Area.objects.get(name="团结社区"),
        title="Parking in front of door 2",
        filed_by=resident,
        filer_phone="13800000011",
    ).case
    return case


CASE_FORMS = [
    ("portal:case_comment", "comment_form", {"comment": "", "public": "maybe"}),
    ("portal:case_assign", "assign_form", {"handler": "999999", "organisation": "x"}),
    ("portal:case_close", "close_form", {"status": "no-such-status"}),
]


@pytest.mark.parametrize(("name", "form", "malformed"), CASE_FORMS, ids=[f[0] for f in CASE_FORMS])
def test_case_forms_answer_bad_input_with_form_errors(client, open_case, name, form, malformed):
    client.force_login(User.objects.get(username="secretary.tuanjie"))
    for data in ({}, malformed):
        response = client.post(reverse(name, args=[open_case.pk]), data)

        assert response.status_code == 200, (name, data)
        assert response.context[form].errors, (name, data)


def test_the_rating_form_answers_bad_input_with_form_errors(client, open_case):
    from portal.services.cases import case_close

    case_close(
        case=open_case, actor=User.objects.get(username="secretary.tuanjie"), status="solved"
    )
    client.force_login(User.objects.get(username="resident.wangpeng"))
    for data in ({}, {"rating": "11", "solved": "perhaps"}):
        response = client.post(reverse("portal:case_rate", args=[open_case.pk]), data)

        assert response.status_code == 200
        assert response.context["rating_form"].errors


def test_the_status_page_answers_bad_input_with_form_errors(client, db):
    for data in ({}, {"reference": "<script>", "phone": "12"}):
        response = client.post(reverse("portal:status"), data, REMOTE_ADDR="10.3.0.1")

        assert response.status_code == 200
        assert response.context["form"].errors


def test_an_upload_that_is_not_a_file_is_a_form_error(client, open_case):
    client.force_login(User.objects.get(username="secretary.tuanjie"))

    response = client.post(reverse("portal:attachment_add", args=[open_case.pk]), {"file": "x"})

    assert response.status_code == 200
    assert response.context["form"].errors


def any_form_error(response) -> bool:
    """Some form on the page carries an error (views name their forms differently)."""
    from django import forms

    return any(
        isinstance(value, forms.BaseForm) and value.errors
        for context in response.context
        for value in context.flatten().values()
    )


HOUSING_FORMS = [
    # (url name, who, needs an estate / household / person / visit pk, malformed data)
    ("housing:estate_create", "secretary.tuanjie", None, {"community": "x", "name": ""}),
    (
        "housing:person_add",
        "secretary.tuanjie",
        "household",
        {"name": "", "id_number": "123", "phone": "555", "relation": "boss"},
    ),
    ("housing:person_reveal", "secretary.tuanjie", "person", {"reason": ""}),
    (
        "housing:claim",
        "resident.wangpeng",
        None,
        {"estate": "x", "relation": "king", "owner_name": "", "owner_id_last4": "abcdef"},
    ),
    (
        "housing:estate_mode",
        "secretary.tuanjie",
        "estate",
        {"mode": "anarchy", "reason": "", "changed_on": "yesterday"},
    ),
    ("housing:roster_add", "secretary.tuanjie", "estate", {"role": "king", "started_on": "x"}),
    (
        "housing:review_add",
        "secretary.tuanjie",
        "estate",
        {"company": "x", "reviewed_on": "x", "security": "9", "cleaning": "-1"},
    ),
    (
        "housing:desk_visit_new",
        "secretary.tuanjie",
        "estate",
        {"scheduled_at": "soon", "staff": "x"},
    ),
    (
        "housing:desk_visit_record",
        "secretary.tuanjie",
        "visit",
        {"category": "x", "description": "", "resolution": "magic"},
    ),
    ("housing:issue_report", None, None, {"estate": "x", "description": "", "phone": "1"}),
    ("housing:estate_import", "secretary.tuanjie", "estate", {"file": "not a file"}),
]


@pytest.mark.parametrize(
    ("name", "login", "target", "malformed"), HOUSING_FORMS, ids=[f[0] for f in HOUSING_FORMS]
)
def test_housing_forms_answer_bad_input_with_form_errors(
    client, demo_data, name, login, target, malformed
):
    from housing.models import DeskVisit, Estate, Household, Person

    targets = {
        "estate": lambda: Estate.objects.get(name="清怡院"),
        "household": lambda: Household.objects.filter(
            unit__building__estate__name="清怡院"
        ).first(),
        "person": lambda: Person.objects.get(name="王鹏"),
        "visit": lambda: DeskVisit.objects.filter(held=True).first(),
    }
    if login:
        client.force_login(User.objects.get(username=login))
    args = [targets[target]().pk] if target else []
    for data in ({}, malformed):
        response = client.post(reverse(name, args=args), data, REMOTE_ADDR="10.4.0.1")

        assert response.status_code == 200, (name, data, response.status_code)
        assert any_form_error(response), (name, data)


ELDERCARE_FORMS = [
    # (url name, who, which object (see `eldercare_target`), malformed data)
    (
        "eldercare:adaptation_apply",
        "staff.fengyang",
        None,
        {"id_number": "12345", "applicant": "x", "eligibility": "rich", "exclusions": "x"},
    ),
    ("eldercare:adaptation_assess", "staff.fengyang", "applied", {"capacity_level": "9"}),
    ("eldercare:adaptation_plan", "staff.fengyang", "assessed", {"qty_0": "x", "price_0": "-1"}),
    ("eldercare:adaptation_approve", "staff.fengyang", "applied", {"note": "x" * 5000}),
    ("eldercare:adaptation_works", "staff.fengyang", "approved", {"contractor": "x"}),
    ("eldercare:adaptation_accept", "staff.fengyang", "works", {"accepted_on": "x"}),
    ("eldercare:adaptation_pay", "staff.fengyang", "accepted", {"paid_on": "someday"}),
    ("eldercare:adaptation_reject", "staff.fengyang", "applied", {"reason": ""}),
    ("eldercare:adaptation_survey", "staff.fengyang", "accepted", {"satisfaction": "9"}),
    (
        "eldercare:errand_request",
        "resident.wangpeng",
        None,
        {"service": "x", "group": "y", "phone": "12345", "wanted_by": "2001-13-01"},
    ),
    (
        "eldercare:errand_request_for",
        "secretary.tuanjie",
        None,
        {"community": "x", "name": "", "phone": "abc", "id_number": "123", "service": "x"},
    ),
    ("eldercare:errand_assign", "secretary.tuanjie", "errand", {"volunteer": "x"}),
    (
        "eldercare:facility_create",
        "staff.fengyang",
        None,
        {"community": "x", "type": "castle", "capacity": "-1", "floor_area_m2": "abc"},
    ),
    ("eldercare:facility_edit", "staff.fengyang", "facility", {"name": "", "capacity": "many"}),
    ("eldercare:facility_log", "staff.fengyang", "facility", {"date": "x", "classes": "-1"}),
    (
        "eldercare:agreement_create",
        "staff.fengyang",
        None,
        {"area": "x", "services": ["free lunch"], "signed_on": "2025-13-01", "expires_on": "x"},
    ),
    (
        "eldercare:agreement_edit",
        "staff.fengyang",
        "agreement",
        {"signed_on": "2025-06-01", "expires_on": "2025-01-01", "services": ["x"]},
    ),
    ("eldercare:team_create", "staff.fengyang", None, {"area": "x", "name": "", "phone": "1"}),
    (
        "eldercare:team_contract_add",
        "staff.fengyang",
        "team",
        {"person": "x", "signed_on": "x", "visit_every_days": "-3"},
    ),
    ("eldercare:visit_record", "staff.fengyang", "contract", {"visited_on": "2999-01-01"}),
    ("eldercare:contract_end", "staff.fengyang", "contract", {"ended_on": "nope"}),
]


def eldercare_target(which: str, user):
    from eldercare.models import (
        Adaptation,
        CareAgreement,
        DoctorContract,
        DoctorTeam,
        Errand,
        Facility,
    )

    if which == "errand":
        return Errand.objects.visible_to(user).filter(case__status="requested").first()
    if which == "facility":
        return Facility.objects.visible_to(user).first()
    if which == "agreement":
        return CareAgreement.objects.visible_to(user).first()
    if which == "team":
        return DoctorTeam.objects.visible_to(user).first()
    if which == "contract":
        return DoctorContract.objects.visible_to(user).filter(ended_on__isnull=True).first()
    return Adaptation.objects.visible_to(user).filter(stage=which).first()


@pytest.mark.parametrize(
    ("name", "login", "target", "malformed"), ELDERCARE_FORMS, ids=[f[0] for f in ELDERCARE_FORMS]
)
def test_eldercare_forms_answer_bad_input_with_form_errors(
    client, demo_data, name, login, target, malformed
):
    user = User.objects.get(username=login)
    client.force_login(user)
    args = [eldercare_target(target, user).pk] if target else []
    for data in ({}, malformed):
        response = client.post(reverse(name, args=args), data, REMOTE_ADDR="10.5.0.1")

        assert response.status_code == 200, (name, data, response.status_code)
        assert any_form_error(response), (name, data)


STATION_FORMS = [
    # (url name, who (None: a visitor), malformed data); the station is Yulin's union station.
    ("stations:check_in", None, {"group": "pilot"}),
    ("stations:feedback", None, {"rating": "9", "comment": "x" * 501}),
    (
        "stations:station_edit",
        "staff.yulin",
        {"name": "", "longitude": "east", "star_level": "0"},
    ),
    ("stations:station_hours", "staff.yulin", {"opens_0": "25:99", "closes_1": "x"}),
    (
        "stations:station_amenities",
        "staff.yulin",
        {"version": "x", "has_water": "on", "quantity_water": "-1", "condition_water": "melted"},
    ),
    ("stations:station_check", "staff.yulin", {"checked_on": "someday", "quantity_water": "-1"}),
    ("stations:station_close", "staff.yulin", {"reason": "x" * 300, "until": "soon"}),
]


@pytest.mark.parametrize(
    ("name", "login", "malformed"), STATION_FORMS, ids=[f[0] for f in STATION_FORMS]
)
def test_station_forms_answer_bad_input_with_form_errors(client, demo_data, name, login, malformed):
    from stations.models import Station

    if login:
        client.force_login(User.objects.get(username=login))
    station = Station.objects.get(name__startswith="榆林社区工会")
    for data in ({}, malformed):
        response = client.post(reverse(name, args=[station.pk]), data, REMOTE_ADDR="10.6.0.1")

        assert response.status_code == 200, (name, data, response.status_code)
        assert any_form_error(response), (name, data)


def test_the_station_create_form_answers_bad_input_with_form_errors(client, demo_data):
    client.force_login(User.objects.get(username="staff.yulin"))
    malformed = {"community": "x", "latitude": "north", "star_level": "9", "host_phone": "abc"}
    for data in ({}, malformed):
        response = client.post(reverse("stations:station_create"), data)

        assert response.status_code == 200
        assert response.context["form"].errors


@pytest.mark.parametrize(
    "query",
    [
        {"lat": "91", "lng": "x", "area": "<script>", "amenity": "jacuzzi"},
        {"since": "2025-13-40"},
    ],
)
def test_station_get_forms_answer_bad_input_with_form_errors(client, demo_data, query):
    client.force_login(User.objects.get(username="staff.yulin"))
    name = "stations:finder" if "lat" in query else "stations:usage"

    response = client.get(reverse(name), query)

    assert response.status_code == 200
    assert response.context["form"].errors


CIVILITY_FORMS = [
    # (url name, who, which object (see `civility_target`), malformed data)
    (
        "civility:criteria_import",
        "inspector.ruian",
        None,
        {"name": "", "area": "x", "valid_from": "not-a-date", "previous": "nope"},
    ),
    (
        "civility:site_create",
        "inspector.ruian",
        None,
        {"type": "castle", "name": "", "area": "x", "responsible_unit": "y"},
    ),
    ("civility:site_edit", "inspector.ruian", "site", {"type": "castle", "area": "999999"}),
    (
        "civility:inspection_start",
        "inspector.ruian",
        None,
        {"site": "x", "mode": "raid", "inspected_on": "31/31/2024"},
    ),
    (
        "civility:order_create",
        "inspector.ruian",
        None,
        {"unit": "abc", "findings": "x", "deadline": "31/31/2024", "level": "gold"},
    ),
    (
        "civility:event_create",
        "inspector.ruian",
        None,
        {"area": "abc", "held_on": "2025-02-30", "audience": "many", "minors": "-1"},
    ),
    ("civility:team_create", "secretary.tuanjie", None, {"name": "", "members": ", 无名"}),
]


def civility_target(which: str, user):
    from civility.models import Site

    return Site.objects.visible_to(user).first()


@pytest.mark.parametrize(
    ("name", "login", "target", "malformed"), CIVILITY_FORMS, ids=[f[0] for f in CIVILITY_FORMS]
)
def test_civility_forms_answer_bad_input_with_form_errors(
    client, demo_data, name, login, target, malformed
):
    user = User.objects.get(username=login)
    client.force_login(user)
    args = [civility_target(target, user).pk] if target else []
    for data in ({}, malformed):
        response = client.post(reverse(name, args=args), data, REMOTE_ADDR="10.7.0.1")

        assert response.status_code == 200, (name, data, response.status_code)
        assert any_form_error(response), (name, data)


def test_the_civility_case_forms_answer_bad_input_with_form_errors(client, demo_data):
    from civility.models import Finding, FindingStatus, SupervisionOrder

    client.force_login(User.objects.get(username="inspector.ruian"))
    finding = Finding.objects.filter(
        case__status=FindingStatus.OPEN, resolution="", case__closed_at__isnull=True
    ).first()
    order = SupervisionOrder.objects.first()
    posts = [("civility:order_recheck", order.pk, {"result": "maybe", "deadline": "x"})]
    if finding is not None:
        posts.append(("civility:finding_resolve", finding.pk, {"resolution": "magic"}))
    for name, pk, malformed in posts:
        for data in ({}, malformed):
            response = client.post(reverse(name, args=[pk]), data)

            assert response.status_code == 200, (name, data, response.status_code)
            assert any_form_error(response), (name, data)
