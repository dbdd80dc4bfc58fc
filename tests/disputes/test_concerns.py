"""The concerns register (急难愁盼): recording a concern at a tea talk, answering it,
turning it into an estate issue or a dispute, the resident following it, the pages
and the export."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from disputes.models import Category, Channel, Concern, Dispute
from disputes.services import concerns
from housing.models import Estate, EstateIssue
from portal.models import Case, TimelineEntry
from portal.registry import HandOverTarget, registry
from portal.services.cases import case_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
PHONE = "13812345678"
TEA_TALK = "清怡院茶话会"


def record(world, description="The stairwell light is broken", **kwargs):
    kwargs.setdefault("actor", world.users["own_staff"])
    kwargs.setdefault("community", world.areas["community_a"])
    return concerns.concern_record(description=description, raised_at_event=TEA_TALK, **kwargs)


@pytest.fixture
def resident_phone(world):
    resident = world.users["resident"]
    resident.phone = PHONE
    resident.save(update_fields=["phone"])
    return PHONE


@pytest.fixture
def concern(world):
    return record(world, filed_by=world.users["resident"])


@pytest.fixture
def estate(world):
    return Estate.objects.create(community=world.areas["community_a"], name="Qingyi")


@pytest.fixture
def no_disputes(monkeypatch):
    monkeypatch.delitem(registry.hand_over_targets, "dispute_from", raising=False)


@pytest.fixture
def dispute_target(monkeypatch):
    """A stand-in for the intake's hand-over target: opens a dispute from the case."""
    calls = []

    def create(*, actor, case):
        calls.append(case)
        new = case_open(
            kind="disputes.dispute", actor=actor, community=case.community, title=case.title
        )
        return Dispute.objects.create(
            case=new,
            category=Category.objects.get(code="neighbours"),
            channel=Channel.TEA_TALK,
            facts="From the concern",
            source_case=case,
        )

    monkeypatch.setitem(
        registry.hand_over_targets,
        "dispute_from",
        HandOverTarget(name="dispute_from", label="Dispute", create=create),
    )
    return calls


# --- Recording ------------------------------------------------------------------------


class TestRecording:
    def test_a_concern_is_a_case_raised_at_the_tea_talk(self, world):
        concern = record(world, filer_name="王鹏", filer_phone="138 1234 5678")

        case = concern.case
        assert case.kind == "disputes.concern" and case.reference.startswith("JP-")
        assert case.status == Concern.Status.RECORDED and case.closed_at is None
        assert case.title == "The stairwell light is broken"
        assert case.filer_name == "王鹏" and case.filer_phone == PHONE
        assert concern.raised_at_event == TEA_TALK
        reported = case.timeline.get()
        assert reported.is_public and TEA_TALK in reported.comment

    def test_a_concern_filed_for_a_resident_takes_their_name_and_phone(self, world):
        resident = world.users["resident"]

        concern = record(world, filed_by=resident)

        assert concern.case.filed_by == resident
        assert concern.case.filer_name == resident.display_name
        assert concern.case.filer_phone == resident.phone

    def test_an_empty_concern_or_a_bad_phone_is_refused(self, world):
        with pytest.raises(ValidationError) as empty:
            record(world, description="   ")
        with pytest.raises(ValidationError) as phone:
            record(world, filer_phone="12345")

        assert empty.value.error_dict["description"][0].code == "empty"
        assert "filer_phone" in phone.value.error_dict
        assert not Concern.objects.exists()

    @pytest.mark.parametrize("persona", ["other_staff", "official", "org_member"])
    def test_only_staff_of_the_community_record_concerns(self, world, persona):
        with pytest.raises(PermissionDenied):
            record(world, actor=world.users[persona])

        assert not Concern.objects.exists()


# --- Answering ------------------------------------------------------------------------


class TestAnswering:
    def test_an_answer_closes_the_concern_with_a_public_entry(self, world, concern):
        concerns.concern_answer(
            actor=world.users["own_staff"], concern=concern, answer="Fixed on Tuesday."
        )

        concern.refresh_from_db()
        case = Case.objects.get(pk=concern.pk)
        assert concern.answer == "Fixed on Tuesday."
        assert case.status == Concern.Status.ANSWERED and case.closed_at is not None
        closing = case.timeline.get(verb=TimelineEntry.Verb.CLOSED)
        assert closing.is_public and closing.comment == "Fixed on Tuesday."

    def test_answering_again_with_the_same_answer_changes_nothing(self, world, concern):
        staff = world.users["own_staff"]
        concerns.concern_answer(actor=staff, concern=concern, answer="Fixed.")

        concerns.concern_answer(actor=staff, concern=concern, answer="Fixed.")

        assert TimelineEntry.objects.filter(case_id=concern.pk).count() == 2
        with pytest.raises(ValidationError) as again:
            concerns.concern_answer(actor=staff, concern=concern, answer="Something else")
        assert again.value.code == "closed"

    def test_an_empty_answer_is_refused(self, world, concern):
        with pytest.raises(ValidationError) as refused:
            concerns.concern_answer(actor=world.users["own_staff"], concern=concern, answer=" ")

        assert refused.value.error_dict["answer"][0].code == "empty"
        assert Case.objects.get(pk=concern.pk).closed_at is None

    @pytest.mark.parametrize("persona", ["resident", "official", "other_staff"])
    def test_the_resident_an_official_or_another_community_cannot_answer(
        self, world, concern, persona
    ):
        with pytest.raises(PermissionDenied):
            concerns.concern_answer(actor=world.users[persona], concern=concern, answer="No.")


# --- Turning into a case --------------------------------------------------------------


class TestTurning:
    def test_a_concern_turns_into_an_estate_issue(self, world, concern, estate):
        turned = concerns.concern_turn(
            actor=world.users["own_staff"],
            concern=concern,
            into="issue",
            estate=estate,
            category="facilities",
        )

        issue = EstateIssue.objects.get(pk=turned.turned_into_id)
        assert issue.estate == estate and issue.category == "facilities"
        assert issue.description == concern.description
        assert issue.case.filed_by == world.users["resident"]
        case = Case.objects.get(pk=concern.pk)
        assert case.status == Concern.Status.TURNED and case.closed_at is not None
        closing = case.timeline.get(verb=TimelineEntry.Verb.CLOSED)
        assert closing.is_public and issue.case.reference in closing.comment

    def test_turning_twice_returns_the_first_case(self, world, concern, estate):
        staff = world.users["own_staff"]
        first = concerns.concern_turn(
            actor=staff, concern=concern, into="issue", estate=estate, category="other"
        )

        again = concerns.concern_turn(
            actor=staff, concern=concern, into="issue", estate=estate, category="other"
        )

        assert again.turned_into_id == first.turned_into_id
        assert EstateIssue.objects.count() == 1

    def test_an_estate_of_another_community_or_no_category_is_refused(self, world, concern):
        elsewhere = Estate.objects.create(community=world.areas["community_b"], name="Shengze")
        staff = world.users["own_staff"]

        with pytest.raises(ValidationError) as wrong_estate:
            concerns.concern_turn(
                actor=staff, concern=concern, into="issue", estate=elsewhere, category="other"
            )
        with pytest.raises(ValidationError) as nothing:
            concerns.concern_turn(actor=staff, concern=concern, into="somewhere")

        assert wrong_estate.value.error_dict["estate"][0].code == "estate_community"
        assert nothing.value.error_dict["into"][0].code == "into"
        assert Case.objects.get(pk=concern.pk).closed_at is None

    def test_without_the_hand_over_target_a_dispute_is_refused(self, world, concern, no_disputes):
        with pytest.raises(ValidationError) as refused:
            concerns.concern_turn(actor=world.users["own_staff"], concern=concern, into="dispute")

        assert refused.value.code == "no_disputes"
        assert Case.objects.get(pk=concern.pk).closed_at is None

    def test_a_concern_turns_into_a_dispute_through_the_hand_over_target(
        self, world, concern, dispute_target
    ):
        turned = concerns.concern_turn(
            actor=world.users["own_staff"], concern=concern, into="dispute"
        )

        assert dispute_target == [concern.case]
        dispute = Dispute.objects.get(pk=turned.turned_into_id)
        assert dispute.source_case_id == concern.pk
        assert Case.objects.get(pk=concern.pk).status == Concern.Status.TURNED

    def test_the_clinics_own_hand_over_opens_a_dispute_from_the_concern(self, world, concern):
        assert registry.hand_over_target("dispute_from") is not None

        turned = concerns.concern_turn(
            actor=world.users["own_staff"], concern=concern, into="dispute"
        )

        dispute = Dispute.objects.select_related("case").get(pk=turned.turned_into_id)
        assert dispute.source_case_id == concern.pk
        assert dispute.facts == concern.description
        assert dispute.case.filed_by == world.users["resident"]
        closing = Case.objects.get(pk=concern.pk).timeline.get(verb=TimelineEntry.Verb.CLOSED)
        assert dispute.case.reference in closing.comment

    def test_an_official_cannot_turn_a_concern(self, world, concern, estate):
        with pytest.raises(PermissionDenied):
            concerns.concern_turn(
                actor=world.users["official"],
                concern=concern,
                into="issue",
                estate=estate,
                category="other",
            )


# --- The resident follows it ----------------------------------------------------------


def test_the_resident_sees_their_concern_and_its_answer_on_my_requests(client, world, concern):
    concerns.concern_answer(
        actor=world.users["own_staff"], concern=concern, answer="Fixed on Tuesday."
    )
    client.force_login(world.users["resident"])

    requests = client.get(reverse("portal:my_requests"))
    detail = client.get(reverse("portal:case_detail", args=[concern.pk]))

    assert [c.pk for c in requests.context["object_list"]] == [concern.pk]
    assert "Fixed on Tuesday." in detail.content.decode()


# --- The register page ----------------------------------------------------------------


def test_scope_of_the_register(client, world, concern):
    check_scope(
        client,
        world,
        reverse("disputes:concerns"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 200,
            "org_member": 403,
        },
    )


def test_the_register_lists_concerns_in_scope_and_filters_them(client, world, concern, estate):
    staff = world.users["own_staff"]
    answered = record(world, description="Noise at night")
    concerns.concern_answer(actor=staff, concern=answered, answer="Talked to the neighbour.")
    turned = record(world, description="Broken gate")
    concerns.concern_turn(
        actor=staff, concern=turned, into="issue", estate=estate, category="other"
    )
    elsewhere = record(
        world, actor=world.users["other_staff"], community=world.areas["community_b"]
    )

    def listed(persona, **query):
        client.force_login(world.users[persona])
        response = client.get(reverse("disputes:concerns"), query)
        return [c.pk for c in response.context["object_list"]]

    assert set(listed("own_staff")) == {concern.pk, answered.pk, turned.pk}
    assert listed("own_staff")[0] == concern.pk  # open first
    assert listed("own_staff", state="open") == [concern.pk]
    assert listed("own_staff", state="answered") == [answered.pk]
    assert listed("own_staff", state="turned") == [turned.pk]
    assert listed("other_staff") == [elsewhere.pk]
    assert set(listed("official")) == {concern.pk, answered.pk, turned.pk, elsewhere.pk}


def test_only_staff_who_may_record_see_the_form(client, world):
    client.force_login(world.users["own_staff"])
    staff_page = client.get(reverse("disputes:concerns"))
    client.force_login(world.users["official"])
    official_page = client.get(reverse("disputes:concerns"))
    posted = client.post(reverse("disputes:concerns"), {"description": "x"})

    assert staff_page.context["record_form"] is not None
    assert official_page.context["record_form"] is None
    assert posted.status_code == 403


def test_the_secretary_records_a_concern_and_the_resident_with_that_phone_follows_it(
    client, world, resident_phone
):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("disputes:concerns"),
        {
            "community": world.areas["community_a"].pk,
            "raised_at_event": TEA_TALK,
            "description": "Cars block the fire lane",
            "filer_name": "王鹏",
            "filer_phone": "138-1234-5678",
        },
    )

    assert response.status_code == 302
    concern = Concern.objects.get()
    assert concern.case.filed_by == world.users["resident"]
    client.force_login(world.users["resident"])
    requests = client.get(reverse("portal:my_requests"))
    assert [c.pk for c in requests.context["object_list"]] == [concern.pk]


def test_a_concern_with_an_unknown_phone_belongs_to_no_account(client, world):
    client.force_login(world.users["own_staff"])

    client.post(
        reverse("disputes:concerns"),
        {
            "community": world.areas["community_a"].pk,
            "description": "Cars block the fire lane",
            "filer_phone": "13700000000",
        },
    )

    assert Concern.objects.get().case.filed_by is None


def test_a_record_form_with_errors_keeps_what_was_typed(client, world):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("disputes:concerns"),
        {
            "community": world.areas["community_a"].pk,
            "raised_at_event": TEA_TALK,
            "description": "",
            "filer_phone": "12345",
        },
        **ENGLISH,
    )

    assert response.status_code == 200
    form = response.context["record_form"]
    assert "description" in form.errors and "filer_phone" in form.errors
    assert TEA_TALK in response.content.decode()
    assert not Concern.objects.exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_the_register_runs_a_fixed_number_of_queries(
    client, world, rows, django_assert_max_num_queries
):
    for n in range(rows):
        item = record(world, description=f"Concern {n}")
        if n % 3 == 1:
            concerns.concern_answer(actor=world.users["own_staff"], concern=item, answer="Done.")
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(11):
        response = client.get(reverse("disputes:concerns"))

    assert len(response.context["object_list"]) == min(rows, 25)


# --- Answer and turn pages ------------------------------------------------------------


@pytest.mark.parametrize("name", ["disputes:concern_answer", "disputes:concern_turn"])
def test_scope_of_the_answer_and_turn_pages(client, world, concern, name):
    check_scope(
        client,
        world,
        reverse(name, args=[concern.pk]),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 404,
            "official": 403,
            "org_member": 404,
        },
    )


def test_staff_answer_a_concern_through_the_page(client, world, concern):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("disputes:concern_answer", args=[concern.pk]), {"answer": "Fixed on Tuesday."}
    )

    assert response.status_code == 302 and response.url == reverse("disputes:concerns")
    assert Case.objects.get(pk=concern.pk).status == Concern.Status.ANSWERED


def test_an_answer_already_given_shows_as_a_form_error(client, world, concern):
    concerns.concern_answer(actor=world.users["own_staff"], concern=concern, answer="Fixed.")
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("disputes:concern_answer", args=[concern.pk]),
        {"answer": "Another answer"},
        **ENGLISH,
    )

    assert response.status_code == 200
    assert "This concern has already been dealt with." in response.content.decode()
    assert "Another answer" in response.content.decode()


def test_staff_turn_a_concern_into_an_estate_issue_through_the_page(client, world, concern, estate):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("disputes:concern_turn", args=[concern.pk]),
        {"into": "issue", "estate": estate.pk, "category": "facilities"},
    )

    issue = EstateIssue.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:case_detail", args=[issue.pk])
    assert Concern.objects.get(pk=concern.pk).turned_into_id == issue.pk


def test_turning_into_an_issue_without_an_estate_keeps_the_page(client, world, concern, estate):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("disputes:concern_turn", args=[concern.pk]),
        {"into": "issue", "category": "facilities"},
    )

    assert response.status_code == 200
    assert "estate" in response.context["turn_form"].errors
    assert Case.objects.get(pk=concern.pk).closed_at is None


def test_the_dispute_choice_is_offered_only_with_the_hand_over_target(
    client, world, concern, no_disputes
):
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("disputes:concern_turn", args=[concern.pk]))

    choices = [value for value, _label in response.context["turn_form"].fields["into"].choices]
    assert choices == ["issue"]


def test_staff_turn_a_concern_into_a_dispute_and_land_on_it(client, world, concern, dispute_target):
    client.force_login(world.users["own_staff"])

    response = client.post(reverse("disputes:concern_turn", args=[concern.pk]), {"into": "dispute"})

    dispute = Dispute.objects.get()
    assert response.url == reverse("disputes:dispute_detail", args=[dispute.pk])


def test_the_answer_and_turn_pages_accept_no_other_method(client, world, concern):
    client.force_login(world.users["own_staff"])

    response = client.put(reverse("disputes:concern_answer", args=[concern.pk]))

    assert response.status_code == 405


# --- The export -----------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_scope_of_the_concerns_export(client, world, concern):
    check_scope(
        client,
        world,
        reverse("portal:export", args=["disputes.concerns"]),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 200,
            "org_member": 403,
        },
    )


def test_the_concerns_export_masks_who_raised_them_and_filters(client, world, estate):
    staff = world.users["own_staff"]
    open_one = record(world, filer_name="王鹏", filer_phone=PHONE)
    turned = record(world, description="Broken gate")
    concerns.concern_turn(
        actor=staff, concern=turned, into="issue", estate=estate, category="other"
    )
    client.force_login(staff)
    url = reverse("portal:export", args=["disputes.concerns"])

    rows = csv_rows(client.get(url, **ENGLISH))
    only_turned = csv_rows(client.get(url, {"state": "turned"}))

    assert rows[0][:3] == ["reference number", "raised at", "subject"]
    by_reference = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_reference[open_one.case.reference]["name of the person filing"] == "王*"
    assert by_reference[open_one.case.reference]["phone of the person filing"] == "138****5678"
    issue_reference = EstateIssue.objects.get().case.reference
    assert by_reference[turned.case.reference]["turned into"] == issue_reference
    assert [r[0] for r in only_turned[1:]] == [turned.case.reference]
    assert "王鹏" not in str(rows) and PHONE not in str(rows)
