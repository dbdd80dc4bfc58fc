"""The clinic's pages: the dispute queue, a dispute with its dossier checklist, "My cases";
and what the clinic gives the portal: exports, dashboard tiles and navigation."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from disputes import dashboards
from disputes.models import (
    Affiliation,
    Agreement,
    Category,
    Channel,
    Dispute,
    Mediator,
    PanelMember,
    Party,
    ReturnVisit,
    Risk,
    Session,
)
from housing.models import Person
from portal.models import Attachment
from portal.registry import registry
from portal.scope import active_memberships
from portal.services.cases import case_close, case_comment, case_open, case_transition
from tests.factories import UserFactory
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
APPLICANT_PHONE = "13812345678"
RESPONDENT_PHONE = "13987654321"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def staff_of(world, community: str):
    return world.users["own_staff" if community == "community_a" else "other_staff"]


def make_dispute(
    world,
    *,
    community="community_a",
    category="neighbours",
    risk=Risk.YELLOW,
    channel=Channel.WALK_IN,
    title="Parking in front of building 1",
    facts="Cars park in front of the door of building 1.",
    organisation=None,
    now=None,
):
    """A dispute opened through the kit, as the intake does, with the clinic's own row."""
    case = case_open(
        kind="disputes.dispute",
        actor=staff_of(world, community),
        community=world.areas[community],
        title=title,
        now=now,
    )
    if organisation is not None:
        case.organisation = organisation
        case.save(update_fields=["organisation"])
    return Dispute.objects.create(
        case=case,
        category=Category.objects.get(code=category),
        risk=risk,
        channel=channel,
        facts=facts,
    )


def add_parties(world, dispute):
    """Wang Peng (the resident, applicant) and Zhao Hua (respondent)."""
    Party.objects.create(
        dispute=dispute,
        role=Party.Role.APPLICANT,
        user=world.users["resident"],
        name="王鹏",
        phone=APPLICANT_PHONE,
    )
    Party.objects.create(
        dispute=dispute, role=Party.Role.RESPONDENT, name="赵花", phone=RESPONDENT_PHONE
    )


def mediator(world, name="马燕", *, user=None, community="community_a", **fields):
    return Mediator.objects.create(
        community=world.areas[community],
        user=user,
        name=name,
        affiliation=fields.pop("affiliation", Affiliation.COMMUNITY_CADRE),
        **fields,
    )


def agreement(world, dispute, number, effective_on):
    return Agreement.objects.create(
        dispute=dispute,
        form=Agreement.Form.WRITTEN,
        number=number,
        facts="Parking in front of the door.",
        terms="Parking spaces are marked; the door stays clear.",
        effective_on=effective_on,
        recorded_by=world.users["own_staff"],
    )


@pytest.fixture
def dispute(world):
    dispute = make_dispute(world)
    add_parties(world, dispute)
    return dispute


# --- The queue ------------------------------------------------------------------------


def test_scope_of_the_queue(client, world, dispute):
    check_scope(
        client,
        world,
        reverse("disputes:queue"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 200,
            "org_member": 200,
        },
    )


def test_the_queue_lists_only_disputes_in_scope(client, world, dispute):
    assigned = make_dispute(world, title="Assigned to the police", organisation=world.organisation)
    elsewhere = make_dispute(world, community="community_b", title="Elsewhere")

    def listed(persona):
        client.force_login(world.users[persona])
        return {d.pk for d in client.get(reverse("disputes:queue")).context["object_list"]}

    assert listed("own_staff") == {dispute.pk, assigned.pk}
    assert listed("other_staff") == {elsewhere.pk}
    assert listed("official") == {dispute.pk, assigned.pk, elsewhere.pk}
    assert listed("org_member") == {assigned.pk}


def test_the_queue_shows_lead_mediator_risk_status_and_the_kits_mark(client, world, dispute):
    PanelMember.objects.create(dispute=dispute, mediator=mediator(world), is_lead=True)
    Dispute.objects.filter(pk=dispute.pk).update(risk=Risk.RED)
    dispute.case.due_at = timezone.now() - timedelta(days=1)
    dispute.case.save(update_fields=["due_at"])
    client.force_login(world.users["own_staff"])

    page = client.get(reverse("disputes:queue"), **ENGLISH).content.decode()

    assert dispute.case.reference in page
    assert "马燕" in page
    assert "red: escalate at once" in page
    assert "received" in page
    assert "yellow: overdue or escalated" in page
    assert "neighbours (parking included)" in page


def test_the_queue_filters_on_status_category_risk_mediator_overdue_and_channel(
    client, world, dispute
):
    staff = world.users["own_staff"]
    debt = make_dispute(world, category="debt", risk=Risk.ORANGE, channel=Channel.GRID_REFERRAL)
    case_transition(case=debt.case, actor=staff, status=Dispute.Status.MEDIATING)
    late = make_dispute(world, channel=Channel.TEA_TALK)
    late.case.due_at = timezone.now() - timedelta(hours=1)
    late.case.save(update_fields=["due_at"])
    lead = mediator(world)
    PanelMember.objects.create(dispute=debt, mediator=lead, is_lead=True)
    PanelMember.objects.create(dispute=late, mediator=lead)
    PanelMember.objects.create(dispute=late, mediator=mediator(world, "派出所民警"), is_lead=True)
    client.force_login(staff)

    def listed(**query):
        response = client.get(reverse("disputes:queue"), query)
        return {d.pk for d in response.context["object_list"]}

    debt_category = Category.objects.get(code="debt")
    assert listed(status=Dispute.Status.MEDIATING) == {debt.pk}
    assert listed(category=debt_category.pk) == {debt.pk}
    assert listed(risk=Risk.ORANGE) == {debt.pk}
    assert listed(mediator=lead.pk) == {debt.pk, late.pk}
    assert listed(overdue="true") == {late.pk}
    assert listed(overdue="false") == {dispute.pk, debt.pk}
    assert listed(channel=Channel.TEA_TALK) == {late.pk}
    assert listed() == {dispute.pk, debt.pk, late.pk}


def test_the_queue_offers_only_mediators_of_disputes_in_scope(client, world, dispute):
    here = mediator(world)
    there = mediator(world, "乙", community="community_b")
    PanelMember.objects.create(dispute=dispute, mediator=here)
    elsewhere = make_dispute(world, community="community_b")
    PanelMember.objects.create(dispute=elsewhere, mediator=there)
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("disputes:queue"))

    offered = set(response.context["filter"].form.fields["mediator"].queryset)
    assert offered == {here}


def fill_queue(world, rows):
    staff = world.users["own_staff"]
    leads = [mediator(world, f"调解员{n}") for n in range(3)]
    for n in range(rows):
        item = make_dispute(world, title=f"Dispute {n}", category=("neighbours", "debt")[n % 2])
        PanelMember.objects.create(dispute=item, mediator=leads[n % 3], is_lead=True)
        if n % 3 == 1:
            case_close(case=item.case, actor=staff, status=Dispute.Status.SETTLED)


@pytest.mark.parametrize("rows", [3, 30])
def test_the_queue_runs_a_fixed_number_of_queries(
    client, world, rows, django_assert_max_num_queries, no_lazy_fields
):
    fill_queue(world, rows)
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(11):
        response = client.get(reverse("disputes:queue"))

    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(rows, 25)
    first = response.context["object_list"][0]
    assert first.case.closed_at is None and first.lead_name.startswith("调解员")


# --- A dispute ------------------------------------------------------------------------


def test_scope_of_a_dispute(client, world, dispute):
    check_scope(
        client,
        world,
        reverse("disputes:dispute_detail", args=[dispute.pk]),
        {
            "anonymous": 302,
            "resident": 200,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 404,
            "official": 200,
            "org_member": 404,
        },
    )


def test_a_resident_who_is_no_party_does_not_see_the_dispute(client, world):
    other = make_dispute(world, title="Between neighbours")
    client.force_login(world.users["resident"])

    response = client.get(reverse("disputes:dispute_detail", args=[other.pk]))

    assert response.status_code == 404


def test_an_organisation_member_sees_only_disputes_assigned_to_the_organisation(client, world):
    assigned = make_dispute(world, organisation=world.organisation)
    not_assigned = make_dispute(world)
    client.force_login(world.users["org_member"])

    seen = client.get(reverse("disputes:dispute_detail", args=[assigned.pk]))
    unseen = client.get(reverse("disputes:dispute_detail", args=[not_assigned.pk]))

    assert seen.status_code == 200
    assert unseen.status_code == 404


def test_an_organisation_member_on_the_panel_sees_the_dispute(client, world):
    on_panel = make_dispute(world)
    police = mediator(
        world,
        "派出所民警",
        user=world.users["org_member"],
        affiliation=Affiliation.POLICE_STATION,
        organisation=world.organisation,
    )
    PanelMember.objects.create(dispute=on_panel, mediator=police)
    client.force_login(world.users["org_member"])

    response = client.get(reverse("disputes:dispute_detail", args=[on_panel.pk]))

    assert response.status_code == 200


def test_a_resident_party_sees_the_others_masked_and_only_public_history(client, world, dispute):
    case_comment(
        case=dispute.case, actor=world.users["own_staff"], comment="Internal: call the police"
    )
    case_comment(
        case=dispute.case,
        actor=world.users["own_staff"],
        comment="We invite you on Monday",
        public=True,
    )
    client.force_login(world.users["resident"])

    response = client.get(reverse("disputes:dispute_detail", args=[dispute.pk]), **ENGLISH)

    page = response.content.decode()
    assert "王鹏" in page and APPLICANT_PHONE in page
    assert "赵花" not in page and RESPONDENT_PHONE not in page
    assert "赵*" in page and "139****4321" in page
    assert "We invite you on Monday" in page
    assert "Internal: call the police" not in page
    assert response.context["dossier"] == []
    assert "Dossier checklist" not in page


def test_staff_see_the_parties_names_and_the_internal_history(client, world, dispute):
    case_comment(
        case=dispute.case, actor=world.users["own_staff"], comment="Internal: call the police"
    )

    client.force_login(world.users["own_staff"])
    staff_page = client.get(reverse("disputes:dispute_detail", args=[dispute.pk])).content
    client.force_login(world.users["official"])
    official_page = client.get(reverse("disputes:dispute_detail", args=[dispute.pk])).content

    assert "赵花" in staff_page.decode() and RESPONDENT_PHONE in staff_page.decode()
    assert "Internal: call the police" in staff_page.decode()
    # An official reads the file but is not working it: names, not phones.
    assert "赵花" in official_page.decode() and RESPONDENT_PHONE not in official_page.decode()


def test_the_page_links_the_case_the_dispute_was_turned_from(client, world):
    source = case_open(
        kind="housing.issue",
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        title="Cars block the door",
    )
    turned = make_dispute(world)
    Dispute.objects.filter(pk=turned.pk).update(source_case=source, channel=Channel.HAND_OVER)
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("disputes:dispute_detail", args=[turned.pk]))

    page = response.content.decode()
    assert source.reference in page
    assert reverse("portal:case_detail", args=[source.pk]) in page


# --- The dossier checklist ------------------------------------------------------------


def present(client, world, dispute) -> list[bool]:
    """The checklist as own staff see it on the dispute page."""
    client.force_login(world.users["own_staff"])
    response = client.get(reverse("disputes:dispute_detail", args=[dispute.pk]))
    return [flag for _label, flag in response.context["dossier"]]


def test_the_dossier_fills_in_as_the_mediation_goes(client, world, dispute):
    staff = world.users["own_staff"]
    assert present(client, world, dispute) == [True, False, False, False, False, False]

    Dispute.objects.filter(pk=dispute.pk).update(rights_notice_given_at=timezone.now())
    assert present(client, world, dispute) == [True, True, False, False, False, False]

    for party in dispute.parties.all():
        party.person = Person.objects.create(
            community=world.areas["community_a"],
            name=party.name,
            id_number_hash=f"hash-{party.pk}",
            id_number_masked="110105********1234",
        )
        party.save(update_fields=["person"])
    assert present(client, world, dispute) == [True, True, True, False, False, False]

    session = Session.objects.create(
        dispute=dispute,
        format=Session.Format.TEA_TALK,
        starts_at=timezone.now(),
        place="Clinic",
        created_by=staff,
    )
    assert present(client, world, dispute)[3] is False  # a session without minutes is no record
    session.minutes = "Both agree to mark parking spaces."
    session.save(update_fields=["minutes"])
    assert present(client, world, dispute) == [True, True, True, True, False, False]

    agreement(world, dispute, "JF-2026-001", timezone.localdate())
    assert present(client, world, dispute) == [True, True, True, True, True, False]

    visit = ReturnVisit.objects.create(dispute=dispute, due_on=timezone.localdate())
    assert present(client, world, dispute)[5] is False  # due, not yet visited
    visit.visited_on = timezone.localdate()
    visit.kept = True
    visit.save(update_fields=["visited_on", "kept"])
    assert present(client, world, dispute) == [True] * 6


def test_a_scanned_document_proves_identity_when_a_party_has_no_record(client, world, dispute):
    assert present(client, world, dispute)[2] is False

    Attachment.objects.create(
        case=dispute.case,
        file="attachments/id.pdf",
        original_name="id.pdf",
        content_type="application/pdf",
        size=100,
    )

    assert present(client, world, dispute)[2] is True


def test_a_failed_or_refused_mediation_stands_in_for_the_agreement(client, world, dispute):
    staff = world.users["own_staff"]
    case_transition(case=dispute.case, actor=staff, status=Dispute.Status.FAILED)
    case_transition(case=dispute.case, actor=staff, status=Dispute.Status.CLOSED)

    assert present(client, world, dispute)[4] is True


def test_staff_see_the_dossier_checklist_on_the_page(client, world, dispute):
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("disputes:dispute_detail", args=[dispute.pk]), **ENGLISH)

    page = response.content.decode()
    assert "Dossier checklist" in page
    assert "Rights-and-duties notice" in page and "missing" in page


def test_the_dispute_page_runs_a_bounded_number_of_queries(
    client, world, dispute, django_assert_max_num_queries
):
    client.force_login(world.users["own_staff"])

    # The intake and mediation blocks bring their own queries; the page adds a few.
    with django_assert_max_num_queries(30):
        response = client.get(reverse("disputes:dispute_detail", args=[dispute.pk]))

    assert response.status_code == 200


# --- My cases -------------------------------------------------------------------------


def test_scope_of_my_cases(client, world, dispute):
    check_scope(
        client,
        world,
        reverse("disputes:my_cases"),
        {
            "anonymous": 302,
            "resident": 200,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )


def test_my_cases_lists_panels_and_handled_disputes_open_first(client, world, dispute):
    staff = world.users["own_staff"]
    me = mediator(world, user=staff)
    settled = make_dispute(world, title="Settled one")
    PanelMember.objects.create(dispute=settled, mediator=me, is_lead=True)
    case_close(case=settled.case, actor=staff, status=Dispute.Status.SETTLED)
    on_panel = make_dispute(world, title="On the panel")
    PanelMember.objects.create(dispute=on_panel, mediator=me)
    handled = make_dispute(world, title="Handled")
    handled.case.handler = staff
    handled.case.save(update_fields=["handler"])
    make_dispute(world, title="Someone else's")
    client.force_login(staff)

    response = client.get(reverse("disputes:my_cases"), **ENGLISH)

    listed = list(response.context["object_list"])
    assert {d.pk for d in listed} == {settled.pk, on_panel.pk, handled.pk}
    assert listed[-1].pk == settled.pk
    assert listed[-1].i_lead and not next(d for d in listed if d.pk == handled.pk).on_panel
    page = response.content.decode()
    assert "lead mediator" in page and "handler" in page


def test_my_cases_explains_an_empty_list(client, world, dispute):
    client.force_login(world.users["official"])

    response = client.get(reverse("disputes:my_cases"), **ENGLISH)

    assert list(response.context["object_list"]) == []
    assert "You have no disputes to mediate." in response.content.decode()


def test_an_organisation_members_mediator_entry_brings_its_panels(client, world):
    police = mediator(
        world,
        "派出所民警",
        user=world.users["org_member"],
        affiliation=Affiliation.POLICE_STATION,
        organisation=world.organisation,
    )
    on_panel = make_dispute(world)
    PanelMember.objects.create(dispute=on_panel, mediator=police, is_lead=True)
    client.force_login(world.users["org_member"])

    response = client.get(reverse("disputes:my_cases"))

    assert [d.pk for d in response.context["object_list"]] == [on_panel.pk]


@pytest.mark.parametrize("rows", [3, 30])
def test_my_cases_runs_a_fixed_number_of_queries(
    client, world, rows, django_assert_max_num_queries, no_lazy_fields
):
    staff = world.users["own_staff"]
    me = mediator(world, user=staff)
    for n in range(rows):
        item = make_dispute(world, title=f"Dispute {n}")
        PanelMember.objects.create(dispute=item, mediator=me, is_lead=bool(n % 2))
    client.force_login(staff)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("disputes:my_cases"))

    assert len(response.context["object_list"]) == min(rows, 25)


# --- Navigation -----------------------------------------------------------------------


def navigation(user) -> set[str]:
    return {item.url_name for item in registry.nav_for(user)} & {
        "disputes:queue",
        "disputes:my_cases",
        "disputes:concerns",
    }


def test_navigation_offers_the_clinic_to_staff_and_my_cases_to_mediators(world):
    users = world.users
    assert navigation(users["own_staff"]) == {
        "disputes:queue",
        "disputes:my_cases",
        "disputes:concerns",
    }
    assert navigation(users["official"]) == {"disputes:queue", "disputes:concerns"}
    assert navigation(users["org_member"]) == {"disputes:queue", "disputes:my_cases"}
    assert navigation(users["resident"]) == set()
    assert navigation(users["programme_officer"]) == set()
    volunteer = UserFactory(username="volunteer")
    mediator(world, "志愿者", user=volunteer)
    assert navigation(volunteer) == {"disputes:my_cases"}


# --- Exports --------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_scope_of_the_disputes_export(client, world, dispute):
    check_scope(
        client,
        world,
        reverse("portal:export", args=["disputes.disputes"]),
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


def test_the_disputes_export_masks_the_applicant_and_names_the_outcome(client, world, dispute):
    agreement(world, dispute, "JF-XY-1", date(2026, 3, 20))
    make_dispute(world, community="community_b", title="Elsewhere")
    client.force_login(world.users["own_staff"])

    rows = csv_rows(client.get(reverse("portal:export", args=["disputes.disputes"]), **ENGLISH))

    assert rows[0] == [
        "reference number",
        "category",
        "risk",
        "status",
        "channel",
        "filed at",
        "accepted at",
        "due",
        "closed at",
        "outcome",
        "applicant",
    ]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["reference number"] == dispute.case.reference
    assert row["applicant"] == "王*"
    assert row["outcome"] == "written agreement (调解协议书)"
    assert row["category"] == "neighbours (parking included)"
    content = "".join(",".join(r) for r in rows)
    assert "王鹏" not in content and "赵花" not in content and APPLICANT_PHONE not in content


def test_the_disputes_export_takes_the_queues_filters(client, world, dispute):
    debt = make_dispute(world, category="debt")
    client.force_login(world.users["own_staff"])
    url = reverse("portal:export", args=["disputes.disputes"])

    rows = csv_rows(client.get(url, {"category": debt.category_id}))
    bad = client.get(url, {"risk": "purple"})

    assert [r[0] for r in rows[1:]] == [debt.case.reference]
    assert bad.status_code == 400


# --- Dashboard tiles ------------------------------------------------------------------


@pytest.fixture
def clinic_year(world):
    """Seven disputes, six received in March and April 2026 and one in January."""
    staff, other = world.users["own_staff"], world.users["other_staff"]
    Status = Dispute.Status
    made = {}
    made["settled"] = make_dispute(world, now=at(2026, 3, 5, 10))
    agreement(world, made["settled"], "A-1", date(2026, 3, 20))
    made["failed"] = make_dispute(world, now=at(2026, 3, 10, 10))
    case_close(case=made["failed"].case, actor=staff, status=Status.FAILED, now=at(2026, 3, 25))
    made["failed_too"] = make_dispute(world, now=at(2026, 3, 20, 10))
    case_transition(
        case=made["failed_too"].case, actor=staff, status=Status.FAILED, now=at(2026, 4, 1)
    )
    case_close(case=made["failed_too"].case, actor=staff, status=Status.CLOSED, now=at(2026, 4, 2))
    made["refused"] = make_dispute(world, category="property_management", now=at(2026, 4, 2, 9))
    case_close(case=made["refused"].case, actor=staff, status=Status.REFUSED, now=at(2026, 4, 5))
    made["open"] = make_dispute(world, category="debt", now=at(2026, 4, 10, 9))
    made["elsewhere"] = make_dispute(
        world, community="community_b", category="family", now=at(2026, 3, 15, 9)
    )
    agreement(world, made["elsewhere"], "B-1", date(2026, 3, 28))
    made["january"] = make_dispute(world, now=at(2026, 1, 10, 9))
    for item in made.values():
        item.case.refresh_from_db()
        if item.case.closed_at is None:
            item.case.due_at = timezone.now() + timedelta(days=10)
            item.case.save(update_fields=["due_at"])
    made["open"].case.due_at = timezone.now() - timedelta(days=1)
    made["open"].case.save(update_fields=["due_at"])
    ReturnVisit.objects.create(
        dispute=made["settled"], due_on=date(2026, 4, 4), visited_on=date(2026, 4, 5), kept=True
    )
    ReturnVisit.objects.create(
        dispute=made["elsewhere"],
        due_on=date(2026, 4, 6),
        visited_on=date(2026, 4, 6),
        kept=False,
    )
    ReturnVisit.objects.create(dispute=made["open"], due_on=date(2026, 4, 30))
    assert other  # community B's dispute was opened by its own staff
    return made


def tiles_of(user, area) -> dict:
    with translation.override("en"):
        found = dashboards.tiles(
            user=user, area=area, start=at(2026, 3, 1), end=at(2026, 4, 30, 23, 59, 59)
        )
        return {f"{t.code}:{t.label}": t.value for t in found}


def test_the_dashboard_tiles_count_the_period_for_an_official(world, clinic_year):
    tiles = tiles_of(world.users["official"], world.areas["district"])

    assert tiles["received:Disputes received in the period"] == 6
    assert tiles["settled:Disputes settled in the period"] == 2
    assert tiles["success_rate:Mediation success rate (%)"] == Decimal("40.0")
    assert tiles["overdue:Disputes overdue now"] == 1
    assert tiles["by_category:Received: neighbours (parking included)"] == 3
    assert tiles["by_category:Received: property management (parking included)"] == 1
    assert tiles["by_category:Received: debts"] == 1
    assert tiles["by_category:Received: family"] == 1
    assert tiles["by_month:Received in 2026-03"] == 4
    assert tiles["by_month:Received in 2026-04"] == 2
    assert tiles["kept_at_return_visit:Agreements kept at the return visit (%)"] == Decimal("50.0")


def test_the_dashboard_tiles_keep_to_what_the_user_sees_under_the_area(world, clinic_year):
    own = tiles_of(world.users["own_staff"], world.areas["community_a"])
    other = tiles_of(world.users["other_staff"], world.areas["community_a"])

    assert own["received:Disputes received in the period"] == 5
    assert own["success_rate:Mediation success rate (%)"] == Decimal("25.0")
    assert own["kept_at_return_visit:Agreements kept at the return visit (%)"] == Decimal("100.0")
    assert other["received:Disputes received in the period"] == 0
    assert other["success_rate:Mediation success rate (%)"] == "—"
    assert other["kept_at_return_visit:Agreements kept at the return visit (%)"] == "—"
    assert other["by_month:Received in 2026-03"] == 0


def test_the_dashboard_tiles_run_a_fixed_number_of_queries(
    world, clinic_year, django_assert_max_num_queries
):
    official = world.users["official"]
    active_memberships(official)  # read once per request, before any page's queries

    with django_assert_max_num_queries(4):
        dashboards.tiles(
            user=official,
            area=world.areas["district"],
            start=at(2026, 3, 1),
            end=at(2026, 4, 30),
        )
