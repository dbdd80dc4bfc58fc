"""Supervision orders: issuing, the unit's reply, the re-check, reopening, escalation."""

import io
import itertools
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from civility.models import (
    Category,
    CriteriaSet,
    Criterion,
    Finding,
    FindingStatus,
    Inspection,
    Mode,
    OrderLevel,
    OrderStatus,
    Resolution,
    Site,
    SiteType,
    SupervisionOrder,
)
from civility.services import orders as services
from portal.models import Case, FollowUp, Notification
from portal.roles import OrganisationType, Programme, Role
from portal.services.cases import case_close, case_open, cases_escalate_overdue
from portal.services.followups import followup_schedule
from tests.factories import OrganisationFactory, UserFactory, member
from tests.scope import build_world

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


# --- Helpers (also used by the page tests) ------------------------------------------------


@pytest.fixture
def cworld(db):
    """The scope world with a civility programme officer (the inspector) at the district;
    the world's organisation is the responsible unit (org_member is its member)."""
    return build_world(Programme.CIVILITY)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def inspector(world):
    return world.users["programme_officer"]


def photo(name="after.png"):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (40, 160, 90)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def other_unit(world, name="市场监管所"):
    """A second responsible unit with one member."""
    unit = OrganisationFactory(
        name=name, type=OrganisationType.DEPARTMENT, area=world.areas["district"]
    )
    user = UserFactory()
    member(user, Role.ORGANISATION_MEMBER, organisation=unit)
    return unit, user


def make_site(world, *, unit=None, community="community_a", name=None):
    n = next(_numbers)
    return Site.objects.create(
        area=world.areas[community],
        type=SiteType.RESTAURANT,
        name=name or f"饭店{n}",
        address=f"示例路{n}号",
        responsible_unit=unit or world.organisation,
    )


def make_finding(
    world,
    *,
    site=None,
    unit=None,
    community="community_a",
    status=FindingStatus.OPEN,
    resolution="",
    inspected_on=None,
):
    """A finding as the inspection part makes one: its case in the site's community,
    handed to the site's responsible unit."""
    site = site or make_site(world, unit=unit, community=community)
    n = next(_numbers)
    criteria_set, _ = CriteriaSet.objects.get_or_create(
        area=world.areas["city"], name="本地测评标准", defaults={"valid_from": date(2024, 1, 1)}
    )
    criterion = Criterion.objects.create(
        criteria_set=criteria_set,
        code=f"CY-{n:03d}",
        category=Category.CATERING,
        text=f"后厨餐具消毒到位（{n}）",
        site_types=[SiteType.RESTAURANT],
    )
    inspection = Inspection.objects.create(
        site=site,
        criteria_set=criteria_set,
        mode=Mode.JOINT,
        inspected_on=inspected_on or timezone.localdate() - timedelta(days=3),
    )
    case = case_open(
        kind="civility.finding",
        actor=inspector(world),
        community=site.area,
        title=f"{site.name}: {criterion.code}",
    )
    Case.objects.filter(pk=case.pk).update(organisation=site.responsible_unit, status=status)
    case.refresh_from_db()
    return Finding.objects.create(
        case=case, inspection=inspection, criterion=criterion, site=site, resolution=resolution
    )


def issue(world, findings, *, unit=None, days=10, actor=None, **fields):
    return services.order_issue(
        actor=actor or inspector(world),
        unit=unit or world.organisation,
        findings=findings,
        deadline=timezone.localdate() + timedelta(days=days),
        level=fields.pop("level", OrderLevel.YELLOW),
        requirements=fields.pop("requirements", "三日内完成整改并拍照回复。"),
        **fields,
    )


def reply(world, order, text="已整改到位。", photos=()):
    return services.order_reply(
        actor=world.users["org_member"], order=order, reply=text, photos=photos
    )


def fresh(order):
    return SupervisionOrder.objects.select_related("case").get(pk=order.pk)


def status_of(obj):
    return Case.objects.get(pk=obj.pk).status


def codes(error: ValidationError, field: str) -> list[str]:
    return [e.code for e in error.error_dict[field]]


# --- Issuing ------------------------------------------------------------------------------


def test_issuing_bundles_only_the_units_eligible_findings(cworld):
    open_one = make_finding(cworld)
    failed = make_finding(cworld, status=FindingStatus.RECHECK_FAILED)
    deadline = make_finding(cworld, status=FindingStatus.RECTIFYING, resolution=Resolution.DEADLINE)
    deadline.recheck_follow_up = followup_schedule(
        case=deadline.case,
        assignee=inspector(cworld),
        reason="回头看",
        due_at=timezone.now() + timedelta(days=5),
    )
    deadline.save()
    resolved = make_finding(cworld)
    case_close(case=resolved.case, actor=inspector(cworld), status=FindingStatus.RESOLVED)
    unit_b, _member_b = other_unit(cworld)
    elsewhere = make_finding(cworld, unit=unit_b)
    eligible = services.orderable(Finding.objects.all())

    assert set(eligible.filter(site__responsible_unit=cworld.organisation)) == {
        open_one,
        failed,
        deadline,
    }
    order = issue(cworld, [open_one, failed, deadline], days=7)

    order = fresh(order)
    assert order.case.reference.startswith("DB-")
    assert order.case.status == OrderStatus.ISSUED
    assert order.case.organisation == cworld.organisation
    assert order.case.community == cworld.areas["community_a"]
    assert order.level == OrderLevel.YELLOW
    end = timezone.localtime(order.case.due_at)
    assert (end.date(), end.hour, end.minute) == (order.deadline, 23, 59)
    assert set(order.findings.all()) == {open_one, failed, deadline}
    for finding in (open_one, failed, deadline):
        assert status_of(finding) == FindingStatus.ORDERED
        assert Case.objects.get(pk=finding.pk).due_at == order.case.due_at
    assert Notification.objects.filter(user=cworld.users["org_member"], case=order.case).exists()
    # The order's re-check takes over from the finding's own.
    assert FollowUp.objects.get(pk=deadline.recheck_follow_up_id).state == FollowUp.State.CANCELLED
    # Ordered findings are no longer eligible; another unit's finding still is.
    assert set(services.orderable(Finding.objects.all())) == {elsewhere}


def test_issuing_refuses_findings_that_are_not_the_units_or_not_open(cworld):
    unit_b, _member_b = other_unit(cworld)
    mine = make_finding(cworld)
    theirs = make_finding(cworld, unit=unit_b)
    resolved = make_finding(cworld)
    case_close(case=resolved.case, actor=inspector(cworld), status=FindingStatus.RESOLVED)
    self_fixing = make_finding(cworld, status=FindingStatus.RECTIFYING, resolution="self_fix")
    taken = make_finding(cworld)
    issue(cworld, [taken])

    with pytest.raises(ValidationError) as refused:
        issue(cworld, [mine, theirs, resolved, self_fixing, taken])

    messages = " ".join(refused.value.message_dict["findings"])
    assert codes(refused.value, "findings") == ["not_orderable"] * 4
    assert theirs.case.reference in messages and unit_b.name in messages
    assert resolved.case.reference in messages
    assert self_fixing.case.reference in messages
    assert taken.case.reference in messages and "DB-" in messages
    # Nothing was issued and the good finding is untouched.
    assert SupervisionOrder.objects.count() == 1
    assert status_of(mine) == FindingStatus.OPEN
    assert Finding.objects.get(pk=mine.pk).order is None


def test_a_finding_of_a_closed_order_may_go_into_a_new_one(cworld):
    finding = make_finding(cworld)
    order = issue(cworld, [finding])
    case_close(case=order.case, actor=inspector(cworld), status=OrderStatus.CLOSED)
    Case.objects.filter(pk=finding.pk).update(status=FindingStatus.RECHECK_FAILED)

    second = issue(cworld, [Finding.objects.get(pk=finding.pk)])

    assert Finding.objects.get(pk=finding.pk).order == second


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"days": 0}, "deadline", "deadline_past"),
        ({"days": -3}, "deadline", "deadline_past"),
        ({"level": "purple"}, "level", "level"),
    ],
)
def test_issuing_refuses_a_bad_deadline_or_level(cworld, fields, field, code):
    finding = make_finding(cworld)

    with pytest.raises(ValidationError) as refused:
        issue(cworld, [finding], **fields)

    assert codes(refused.value, field) == [code]
    assert not SupervisionOrder.objects.exists()


def test_issuing_needs_findings_and_an_inspector_of_their_area(cworld):
    finding = make_finding(cworld)

    with pytest.raises(ValidationError) as refused:
        issue(cworld, [])
    assert codes(refused.value, "findings") == ["no_findings"]
    with pytest.raises(PermissionDenied):
        issue(cworld, [finding], actor=cworld.users["org_member"])
    with pytest.raises(PermissionDenied):
        issue(cworld, [finding], actor=cworld.users["official"])
    # Community B's staff may issue orders, but not for community A's findings.
    with pytest.raises(ValidationError) as refused:
        issue(cworld, [finding], actor=cworld.users["other_staff"])
    assert codes(refused.value, "findings") == ["not_visible"]


# --- Reply and re-check -------------------------------------------------------------------


def test_reply_then_a_passed_recheck_closes_the_order_and_resolves_its_findings(cworld):
    findings = [make_finding(cworld), make_finding(cworld)]
    order = issue(cworld, findings)

    reply(cworld, order, photos=[photo(), photo("b.png")])
    order = fresh(order)
    assert order.case.status == OrderStatus.REPLIED
    assert order.reply == "已整改到位。" and order.replied_by == cworld.users["org_member"]
    assert order.case.attachments.count() == 2
    assert Notification.objects.filter(user=inspector(cworld), case=order.case).exists()

    services.order_recheck(actor=inspector(cworld), order=order, passed=True, note="现场复查合格")
    order = fresh(order)
    assert order.case.status == OrderStatus.CLOSED and order.case.closed_at
    assert order.rechecked_at
    for finding in findings:
        case = Case.objects.get(pk=finding.pk)
        assert (case.status, bool(case.closed_at)) == (FindingStatus.RESOLVED, True)
        assert Finding.objects.get(pk=finding.pk).resolved_at


def test_a_failed_recheck_reopens_the_order_until_a_second_reply_passes(cworld):
    finding = make_finding(cworld)
    order = issue(cworld, [finding])
    reply(cworld, order)
    new_deadline = timezone.localdate() + timedelta(days=5)
    Notification.objects.all().delete()

    services.order_recheck(
        actor=inspector(cworld),
        order=fresh(order),
        passed=False,
        note="油烟净化器仍未清洗",
        deadline=new_deadline,
    )
    order = fresh(order)
    assert order.case.status == OrderStatus.REOPENED and not order.case.closed_at
    assert order.deadline == new_deadline
    assert timezone.localtime(order.case.due_at).date() == new_deadline
    assert status_of(finding) == FindingStatus.ORDERED
    notice = Notification.objects.get(user=cworld.users["org_member"], case=order.case)
    assert "油烟净化器仍未清洗" in notice.message

    reply(cworld, order, text="已清洗并加装定期清洗记录。")
    assert status_of(order) == OrderStatus.REPLIED
    services.order_recheck(actor=inspector(cworld), order=fresh(order), passed=True)
    assert status_of(order) == OrderStatus.CLOSED
    assert status_of(finding) == FindingStatus.RESOLVED


def test_a_failed_recheck_needs_a_note_and_a_later_deadline(cworld):
    order = issue(cworld, [make_finding(cworld)])
    reply(cworld, order)

    with pytest.raises(ValidationError) as refused:
        services.order_recheck(
            actor=inspector(cworld), order=fresh(order), passed=False, deadline=None
        )
    assert codes(refused.value, "note") == ["required"]
    with pytest.raises(ValidationError) as refused:
        services.order_recheck(
            actor=inspector(cworld),
            order=fresh(order),
            passed=False,
            note="未整改",
            deadline=timezone.localdate(),
        )
    assert codes(refused.value, "deadline") == ["deadline_past"]
    assert status_of(order) == OrderStatus.REPLIED


def test_a_closed_order_is_reopened_when_the_problem_recurs(cworld):
    finding = make_finding(cworld)
    order = issue(cworld, [finding])
    reply(cworld, order)
    services.order_recheck(actor=inspector(cworld), order=fresh(order), passed=True)
    deadline = timezone.localdate() + timedelta(days=3)

    services.order_reopen(
        actor=inspector(cworld), order=fresh(order), reason="回头看发现问题反弹", deadline=deadline
    )

    order = fresh(order)
    assert order.case.status == OrderStatus.REOPENED and order.case.closed_at is None
    assert order.case.reopened_count == 1
    assert order.deadline == deadline
    assert timezone.localtime(order.case.due_at).date() == deadline
    case = Case.objects.get(pk=finding.pk)
    assert (case.status, case.closed_at) == (FindingStatus.ORDERED, None)
    assert Finding.objects.get(pk=finding.pk).resolved_at is None
    # And round again: the unit replies, the re-check passes.
    reply(cworld, order)
    services.order_recheck(actor=inspector(cworld), order=fresh(order), passed=True)
    assert status_of(order) == OrderStatus.CLOSED


def test_reopening_is_only_for_closed_orders_and_inspectors(cworld):
    order = issue(cworld, [make_finding(cworld)])
    later = timezone.localdate() + timedelta(days=3)

    with pytest.raises(ValidationError) as refused:
        services.order_reopen(actor=inspector(cworld), order=order, reason="x", deadline=later)
    assert refused.value.code == "not_closed"
    reply(cworld, order)
    services.order_recheck(actor=inspector(cworld), order=fresh(order), passed=True)
    with pytest.raises(PermissionDenied):
        services.order_reopen(
            actor=cworld.users["org_member"], order=fresh(order), reason="x", deadline=later
        )


def test_only_the_units_members_reply_and_only_to_their_own_orders(cworld):
    unit_b, member_b = other_unit(cworld)
    mine = issue(cworld, [make_finding(cworld)])
    theirs = issue(cworld, [make_finding(cworld, unit=unit_b)], unit=unit_b)

    for outsider in (
        member_b,
        inspector(cworld),
        cworld.users["own_staff"],
        cworld.users["official"],
    ):
        with pytest.raises(PermissionDenied):
            services.order_reply(actor=outsider, order=fresh(mine), reply="已整改")
    with pytest.raises(PermissionDenied):
        reply(cworld, theirs)
    assert status_of(mine) == OrderStatus.ISSUED

    services.order_reply(actor=member_b, order=fresh(theirs), reply="已整改")
    assert status_of(theirs) == OrderStatus.REPLIED


def test_the_unit_cannot_recheck_and_nobody_rechecks_before_the_reply(cworld):
    order = issue(cworld, [make_finding(cworld)])

    with pytest.raises(ValidationError) as refused:
        services.order_recheck(actor=inspector(cworld), order=order, passed=True)
    assert refused.value.code == "not_replied"
    reply(cworld, order)
    with pytest.raises(PermissionDenied):
        services.order_recheck(actor=cworld.users["org_member"], order=fresh(order), passed=True)
    # A second reply waits for the re-check.
    with pytest.raises(ValidationError) as refused:
        reply(cworld, fresh(order))
    assert refused.value.code == "not_replyable"


def test_an_empty_reply_or_a_file_that_is_no_photo_is_refused(cworld):
    order = issue(cworld, [make_finding(cworld)])

    with pytest.raises(ValidationError) as refused:
        services.order_reply(actor=cworld.users["org_member"], order=order, reply="  ")
    assert codes(refused.value, "reply") == ["required"]
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        services.order_reply(
            actor=cworld.users["org_member"], order=fresh(order), reply="好了", photos=[fake]
        )
    assert "photos" in refused.value.message_dict
    assert status_of(order) == OrderStatus.ISSUED


# --- Escalation through the case kit ------------------------------------------------------


def test_an_overdue_order_is_escalated_then_put_under_supervision(cworld):
    order = issue(cworld, [make_finding(cworld)], days=2)
    order = fresh(order)
    late = order.case.due_at + timedelta(hours=1)

    assert cases_escalate_overdue(now=late) >= 1

    case = Case.objects.get(pk=order.pk)
    assert case.level == Case.Level.SUBDISTRICT and case.escalated_at == late
    assert case.mark == "yellow"
    assert FollowUp.objects.filter(
        case=case, purpose=FollowUp.Purpose.ESCALATION, assignee_role=Role.SUBDISTRICT_STAFF
    ).exists()
    assert case.timeline.filter(verb="escalated").exists()

    later = case.due_at + timedelta(hours=1)
    cases_escalate_overdue(now=later)
    case.refresh_from_db()
    assert case.supervised_at == later and case.mark == "red"
    assert FollowUp.objects.filter(
        case=case, purpose=FollowUp.Purpose.ESCALATION, assignee_role=Role.OFFICIAL
    ).exists()


def test_an_order_answered_in_time_is_not_escalated_once_closed(cworld):
    order = issue(cworld, [make_finding(cworld)], days=2)
    reply(cworld, order)
    services.order_recheck(actor=inspector(cworld), order=fresh(order), passed=True)

    cases_escalate_overdue(now=fresh(order).case.due_at + timedelta(days=1))

    case = Case.objects.get(pk=order.pk)
    assert case.level == Case.Level.COMMUNITY and case.escalated_at is None


# --- The menu item ------------------------------------------------------------------------


def test_the_menu_item_is_for_civility_officers_and_the_kinds_of_unit_orders_go_to(cworld):
    from portal.roles import OrganisationType
    from portal.scope import forget_memberships

    housing_officer = UserFactory()
    member(
        housing_officer,
        Role.PROGRAMME_OFFICER,
        area=cworld.areas["district"],
        programme=Programme.HOUSING,
    )
    assert services.in_nav(inspector(cworld))
    assert not services.in_nav(housing_officer)
    # The world's organisation is a police station: orders do not go there.
    for persona in ("own_staff", "official", "resident", "org_member"):
        assert not services.in_nav(cworld.users[persona]), persona

    cworld.organisation.type = OrganisationType.DEPARTMENT
    cworld.organisation.save()
    forget_memberships(cworld.users["org_member"])

    assert services.in_nav(cworld.users["org_member"])
