"""The civility demo: Rui'an's 140 → 65 and the halved platform problems on its
dashboard, the kitchen inspections and their order, Tuanjie's 22-member lecture group,
Huaying's safety tour at 占云小学, and a loader that can run twice."""

from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from civility import demo, load
from civility.models import (
    CriteriaSet,
    Criterion,
    Finding,
    Inspection,
    Mode,
    OrderStatus,
    OutreachEvent,
    OutreachTeam,
    PlaceType,
    Resolution,
    SupervisionOrder,
)
from portal.models import Area, Case, Organisation, User
from portal.registry import registry, run_steps
from portal.roles import OrganisationType

pytestmark = pytest.mark.django_db


@pytest.fixture
def civility_demo(db, settings, tmp_path):
    """The places, the accounts and the civility demo only (quicker than `load_demo`)."""
    settings.MEDIA_ROOT = tmp_path
    steps = {
        name: registry.demo_loaders[name]
        for name in ("portal.places", "portal.accounts", "civility.civility")
    }
    return [
        account
        for _step, accounts in run_steps(steps, today=timezone.localdate())
        for account in accounts or []
    ]


def user(username):
    return User.objects.get(username=username)


def civility_tiles(response) -> dict:
    return {
        tile.code: tile.value
        for provider, found in response.context["sections"]
        if provider.name == "civility"
        for tile in found
    }


@pytest.mark.parametrize("username", ["official.ruian", "inspector.ruian"])
def test_ruians_dashboard_shows_140_to_65_and_half_the_platform_problems(
    client, civility_demo, username
):
    client.force_login(user(username))

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 200
    assert response.context["area"] == Area.objects.get(name=demo.RUIAN)
    shown = civility_tiles(response)
    assert shown["criteria"] == "140 → 65"
    assert shown["platform_last_12_months"] == 120
    assert shown["platform_previous_12_months"] == 240
    assert shown["platform_change"] == "-50%"
    assert shown["overdue_orders"] == 0
    page = response.content.decode()
    assert "140 → 65" in page and "-50%" in page


def test_the_two_sets_are_140_and_65_items_and_the_new_one_maps_old_items(civility_demo):
    national = CriteriaSet.objects.get(name=demo.NATIONAL_SET)
    local = CriteriaSet.objects.get(name=demo.LOCAL_SET)

    assert national.criteria.count() == 140 and local.criteria.count() == 65
    assert local.previous == national and local.valid_from > national.valid_from
    assert national.area == local.area == Area.objects.get(name=demo.RUIAN)
    mapped = Criterion.objects.filter(criteria_set=local, replaces__isnull=False).distinct()
    assert mapped.count() >= 20
    oil = Criterion.objects.get(criteria_set=local, code="C07")
    assert "油烟" in oil.text and oil.site_types == ["restaurant"]
    assert list(oil.replaces.values_list("code", flat=True)) == ["N-C07"]


def test_the_departments_are_placeholders_of_rui_an(civility_demo):
    for name in demo.DEPARTMENTS:
        organisation = Organisation.objects.get(name=name)
        assert organisation.type == OrganisationType.DEPARTMENT
        assert organisation.is_placeholder and "（示例）" in name


def test_joint_kitchen_inspections_fix_most_findings_on_the_spot_with_a_photo(civility_demo):
    kitchens = Inspection.objects.filter(
        mode=Mode.JOINT, site__name__in=[name for name, *_rest in demo.KITCHENS]
    )
    assert kitchens.count() == len(demo.KITCHENS)
    for inspection in kitchens:
        assert inspection.departments.count() == 3
        assert inspection.answers.count() == 20  # catering and general items of the 65
    findings = Finding.objects.filter(inspection__in=kitchens)
    resolutions = Counter(findings.values_list("resolution", flat=True))
    assert resolutions[Resolution.FIXED_ON_SPOT] > len(findings) / 2
    assert resolutions[Resolution.VERBAL] >= 2 and resolutions[Resolution.DEADLINE] == 1
    fixed = findings.filter(resolution=Resolution.FIXED_ON_SPOT)
    assert not fixed.filter(after_photo__isnull=True).exists()
    assert not findings.filter(resolution=Resolution.VERBAL, sent_to_platform=True).exists()


def test_the_deadline_rectification_became_an_order_replied_and_closed_after_a_recheck(
    civility_demo,
):
    order = SupervisionOrder.objects.get()
    case = Case.objects.get(pk=order.pk)

    assert case.status == OrderStatus.CLOSED and case.closed_at
    assert order.reply and order.replied_by == user(demo.UNIT_ACCOUNT)
    assert order.rechecked_at and order.responsible_unit.name == demo.ANYANG_OFFICE
    assert case.organisation == order.responsible_unit
    finding = order.findings.get()
    assert finding.sent_to_platform and finding.resolution == Resolution.DEADLINE
    assert Case.objects.get(pk=finding.pk).closed_at == order.rechecked_at
    assert Inspection.objects.filter(site=finding.site, mode=Mode.RECHECK).exists()


def test_the_unit_account_sees_its_own_order_only(civility_demo):
    unit = user(demo.UNIT_ACCOUNT)

    assert SupervisionOrder.objects.visible_to(unit).count() == 1
    assert not Inspection.objects.visible_to(unit).exists()
    assert not OutreachEvent.objects.visible_to(unit).exists()


def test_references_follow_next_reference_and_are_unique(civility_demo):
    references = list(
        Case.objects.filter(kind="civility.finding").values_list("reference", flat=True)
    )

    assert len(references) == len(set(references))
    assert all(r.startswith("WT-") and len(r.split("-")[2]) == 6 for r in references)


def test_secretary_tuanjie_sees_the_22_member_lecture_group(client, civility_demo):
    team = OutreachTeam.objects.get(name=demo.LECTURE_GROUP)
    client.force_login(user("secretary.tuanjie"))

    listing = client.get(reverse("civility:team_list"))
    page = client.get(reverse("civility:team_detail", args=[team.pk]))

    assert team.members.count() == 22
    assert team.area == Area.objects.get(name="团结社区")
    assert listing.status_code == 200 and 'data-members="22"' in listing.content.decode()
    assert page.status_code == 200 and 'data-member-count="22"' in page.content.decode()
    assert team.events.count() == len(demo.LECTURES)


def test_huayings_tour_reached_zhanyun_primary_school_on_18_june_as_counts(civility_demo):
    event = OutreachEvent.objects.get(place_name=demo.ZHANYUN_SCHOOL)

    assert (event.held_on.month, event.held_on.day) == (6, 18)
    assert event.held_on <= timezone.localdate()
    assert event.area.name == demo.LUSHI and event.place_type == PlaceType.SCHOOL
    assert 0 < event.minors <= event.audience and event.materials > 0
    assert event.team.name == demo.TOUR_TEAM
    # Nothing but counts: an event relates to its area and team, to no person.
    relations = {f.name for f in OutreachEvent._meta.get_fields() if f.is_relation and f.concrete}
    assert relations == {"area", "team"}
    tour = OutreachEvent.objects.filter(team__name=demo.TOUR_TEAM)
    assert tour.count() == len(demo.TOUR)
    assert all(e.held_on.month == 6 for e in tour)


def test_the_loader_runs_twice_without_changes(civility_demo, settings):
    counts = {
        model: model.objects.count()
        for model in (
            CriteriaSet,
            Criterion,
            Inspection,
            Finding,
            Case,
            OutreachEvent,
            OutreachTeam,
        )
    }

    again = demo.load(today=timezone.localdate())

    assert {a.username for a in again} == {demo.UNIT_ACCOUNT}
    assert {model: model.objects.count() for model in counts} == counts


def test_the_load_generator_needs_generated_communities_and_is_idempotent(civility_demo):
    from housing import load as housing_load

    assert load.generate(communities=2, today=timezone.localdate()).startswith("no generated")
    housing_load.generate(communities=1, today=timezone.localdate())
    generated = Area.objects.get(name=load.GENERATED_PROVINCE, depth=1)
    communities = Area.objects.filter(path__startswith=generated.path, level="community").count()

    first = load.generate(communities=50, today=timezone.localdate())
    second = load.generate(communities=50, today=timezone.localdate())

    assert first.startswith(f"{communities} communities") and second == "0 communities"
    findings = Finding.objects.filter(site__area__path__startswith=generated.path)
    assert findings.count() == communities * 4 * load.VISITS_PER_SITE * 3
    assert findings.filter(resolution=Resolution.FIXED_ON_SPOT).count() > findings.count() / 2
