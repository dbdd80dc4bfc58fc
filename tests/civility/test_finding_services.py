"""Findings: settled on the spot (with an after-photo), verbally, by the unit's own fix,
or by a deadline with a re-check follow-up; the re-check passes or fails."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civility.models import Finding, FindingStatus, Resolution, Result, Severity
from civility.services import findings as services
from portal.models import FollowUp, Notification
from portal.services.followups import followups_deliver_due
from tests.civility.test_inspection_services import answer, officer, photo, start

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2025, 6, 18, 10, 0))
TODAY = date(2025, 6, 18)


@pytest.fixture
def world(db):
    from portal.roles import Programme
    from tests.scope import build_world

    return build_world(Programme.CIVILITY)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def failed(world, code="C01") -> Finding:
    inspection = start(world)
    answer(world, inspection, code, Result.FAIL, now=NOW)
    return Finding.objects.select_related("case").get(inspection=inspection)


def resolve(world, finding, resolution, **kwargs):
    return services.finding_resolve(
        actor=kwargs.pop("actor", officer(world)),
        finding=finding,
        resolution=resolution,
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def test_fixed_on_the_spot_without_an_after_photo_is_refused(world):
    finding = failed(world)
    with pytest.raises(ValidationError) as error:
        resolve(world, finding, Resolution.FIXED_ON_SPOT)
    assert error.value.error_dict["after_photo"][0].code == "photo_required"
    finding.refresh_from_db()
    assert finding.resolution == ""
    assert finding.case.closed_at is None


def test_fixed_on_the_spot_with_a_photo_is_resolved_and_closed(world):
    finding = failed(world)
    resolve(world, finding, Resolution.FIXED_ON_SPOT, after_photo=photo(), severity="major")
    finding.refresh_from_db()
    assert finding.after_photo.case_id == finding.case_id
    assert finding.severity == Severity.MAJOR
    assert finding.resolved_at == NOW
    assert not finding.sent_to_platform
    assert finding.case.status == FindingStatus.RESOLVED
    assert finding.case.closed_at is not None


@pytest.mark.parametrize("resolution", [Resolution.VERBAL, Resolution.SELF_FIX])
def test_verbal_and_self_fixes_are_settled_in_the_visit_and_not_sent(world, resolution):
    finding = failed(world)
    resolve(world, finding, resolution, note="told the manager")
    finding.refresh_from_db()
    assert finding.resolution == resolution
    assert finding.sent_to_platform is False
    assert finding.case.closed_at is not None


def test_deadline_rectification_sends_to_the_platform_and_schedules_one_recheck(world):
    finding = failed(world)
    rectify_by = TODAY + timedelta(days=5)
    resolve(world, finding, Resolution.DEADLINE, rectify_by=rectify_by)

    finding.refresh_from_db()
    case = finding.case
    assert finding.sent_to_platform is True
    assert finding.rectify_by == rectify_by
    assert case.status == FindingStatus.RECTIFYING
    assert case.closed_at is None
    assert timezone.localtime(case.due_at).date() == rectify_by
    follow_up = finding.recheck_follow_up
    assert follow_up.assignee == officer(world)
    assert follow_up.due_at == case.due_at
    assert follow_up.state == FollowUp.State.SCHEDULED

    later = case.due_at + timedelta(minutes=1)
    followups_deliver_due(now=later)
    followups_deliver_due(now=later + timedelta(minutes=1))
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.SENT
    assert Notification.objects.filter(follow_up=follow_up).count() == 1
    assert Notification.objects.get(follow_up=follow_up).user == officer(world)


def test_the_deadline_must_be_given_and_in_the_future(world):
    finding = failed(world)
    for rectify_by, code in [
        (None, "required"),
        (TODAY, "past"),
        (TODAY + timedelta(days=400), "too_far"),
    ]:
        with pytest.raises(ValidationError) as error:
            resolve(world, finding, Resolution.DEADLINE, rectify_by=rectify_by)
        assert error.value.error_dict["rectify_by"][0].code == code


def test_a_finding_is_settled_once(world):
    finding = failed(world)
    resolve(world, finding, Resolution.VERBAL)
    with pytest.raises(ValidationError) as error:
        resolve(world, finding, Resolution.SELF_FIX)
    assert error.value.code == "settled"


def test_only_inspectors_settle_findings(world):
    finding = failed(world)
    for persona in ("org_member", "official", "other_staff", "resident"):
        with pytest.raises(PermissionDenied):
            resolve(world, finding, Resolution.VERBAL, actor=world.users[persona])


def rectifying(world) -> Finding:
    finding = failed(world)
    resolve(world, finding, Resolution.DEADLINE, rectify_by=TODAY + timedelta(days=3))
    finding.refresh_from_db()
    return finding


def test_a_passed_recheck_resolves_and_closes_the_finding(world):
    finding = rectifying(world)
    later = NOW + timedelta(days=4)
    services.finding_recheck(actor=officer(world), finding=finding, passed=True, now=later)

    finding.refresh_from_db()
    assert finding.case.status == FindingStatus.RESOLVED
    assert finding.case.closed_at == later
    assert finding.resolved_at == later
    assert finding.recheck_follow_up.state == FollowUp.State.DONE


def test_a_failed_recheck_stays_open_for_a_supervision_order(world):
    finding = rectifying(world)
    with pytest.raises(ValidationError) as error:
        services.finding_recheck(actor=officer(world), finding=finding, passed=False)
    assert error.value.error_dict["note"][0].code == "required"

    services.finding_recheck(
        actor=officer(world), finding=finding, passed=False, note="still greasy"
    )
    finding.refresh_from_db()
    assert finding.case.status == FindingStatus.RECHECK_FAILED
    assert finding.case.closed_at is None
    assert finding.resolved_at is None
    with pytest.raises(ValidationError) as error:
        services.finding_recheck(actor=officer(world), finding=finding, passed=True)
    assert error.value.code == "not_rechecking"


def test_only_deadline_rectifications_are_rechecked(world):
    finding = failed(world)
    with pytest.raises(ValidationError) as error:
        services.finding_recheck(actor=officer(world), finding=finding, passed=True)
    assert error.value.code == "not_rechecking"
