"""Follow-ups: due rows become exactly one notification; e-mail goes out once per key."""

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from portal.models import FollowUp, Notification, OutboxEmail
from portal.roles import Role
from portal.services import followups
from portal.tasks import scan_due_follow_ups
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def due_follow_up(user, now, **kwargs):
    return followups.followup_schedule(assignee=user, reason="Visit Mr Li", due_at=now, **kwargs)


def test_a_due_follow_up_gives_exactly_one_notification(world, now):
    staff = world.users["own_staff"]
    follow_up = due_follow_up(staff, now)

    assert followups.followups_deliver_due(now=now) == 1
    assert followups.followups_deliver_due(now=now + timedelta(minutes=1)) == 0

    assert Notification.objects.filter(user=staff, follow_up=follow_up).count() == 1
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.SENT and follow_up.sent_at == now


def test_a_follow_up_not_yet_due_waits(world, now):
    due_follow_up(world.users["own_staff"], now + timedelta(hours=1))

    assert followups.followups_deliver_due(now=now) == 0
    assert not Notification.objects.exists()


def test_a_cancelled_follow_up_never_reminds(world, now):
    follow_up = due_follow_up(world.users["own_staff"], now)
    followups.followup_cancel(follow_up=follow_up)

    assert followups.followups_deliver_due(now=now + timedelta(days=1)) == 0
    assert not Notification.objects.exists()


def test_a_role_follow_up_reaches_everyone_holding_the_role_there(world, now):
    second = UserFactory()
    member(second, Role.COMMUNITY_STAFF, area=world.areas["community_a"])
    followups.followup_schedule(
        role=Role.COMMUNITY_STAFF, area=world.areas["community_a"], reason="Estate walk", due_at=now
    )

    followups.followups_deliver_due(now=now)

    users = set(Notification.objects.values_list("user__username", flat=True))
    assert users == {"own_staff", second.username}


def test_a_reschedule_reminds_again_at_the_new_time(world, now):
    follow_up = due_follow_up(world.users["own_staff"], now)
    followups.followups_deliver_due(now=now)

    followups.followup_reschedule(follow_up=follow_up, due_at=now + timedelta(days=1))

    assert followups.followups_deliver_due(now=now + timedelta(hours=1)) == 0
    assert followups.followups_deliver_due(now=now + timedelta(days=1)) == 1


def test_only_its_recipient_completes_a_follow_up(world, now):
    from django.core.exceptions import PermissionDenied

    follow_up = due_follow_up(world.users["own_staff"], now)
    with pytest.raises(PermissionDenied):
        followups.followup_complete(follow_up=follow_up, actor=world.users["other_staff"])

    followups.followup_complete(follow_up=follow_up, actor=world.users["own_staff"], note="went")
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.DONE and follow_up.done_note == "went"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_still_notify_once(world, now):
    staff = world.users["own_staff"]
    for _ in range(30):
        due_follow_up(staff, now)
    barrier = threading.Barrier(2)
    errors = []

    def scan():
        try:
            barrier.wait()
            followups.followups_deliver_due(now=now)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    scans = [threading.Thread(target=scan) for _ in range(2)]
    for thread in scans:
        thread.start()
    for thread in scans:
        thread.join()

    assert errors == []
    assert Notification.objects.filter(user=staff).count() == 30
    assert not FollowUp.objects.filter(state=FollowUp.State.SCHEDULED).exists()


def test_scheduling_needs_no_broker_and_the_scan_delivers(world, now, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("broker unreachable")

    monkeypatch.setattr("celery.app.task.Task.apply_async", broker_down)
    follow_up = due_follow_up(world.users["own_staff"], now)
    monkeypatch.undo()

    assert followups.followups_deliver_due(now=now) == 1
    assert Notification.objects.filter(follow_up=follow_up).exists()


class TestOutbox:
    def test_a_user_with_an_address_gets_one_email_per_follow_up(
        self, world, now, django_capture_on_commit_callbacks
    ):
        staff = world.users["own_staff"]
        staff.email = "staff@example.org"
        staff.save()
        due_follow_up(staff, now)

        with django_capture_on_commit_callbacks(execute=False):
            followups.followups_deliver_due(now=now)
        email = OutboxEmail.objects.get()

        assert followups.outbox_send(outbox_id=email.pk) is True
        assert followups.outbox_send(outbox_id=email.pk) is False  # a retried task
        assert followups.outbox_flush() == 0
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["staff@example.org"]

    def test_the_same_key_is_never_queued_twice(self, db):
        for _ in range(2):
            followups.outbox_enqueue(key="k1", to_address="a@b.cn", subject="s", body="b")

        assert OutboxEmail.objects.count() == 1

    def test_a_failed_send_is_retried_by_the_scan_without_duplicates(self, db, settings):
        email = followups.outbox_enqueue(key="k2", to_address="a@b.cn", subject="s", body="b")
        settings.EMAIL_BACKEND = "tests.portal.test_followups.BrokenBackend"

        assert followups.outbox_send(outbox_id=email.pk) is False
        email.refresh_from_db()
        assert email.state == OutboxEmail.State.PENDING and email.attempts == 1

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert followups.outbox_flush() == 1
        assert followups.outbox_flush() == 0
        assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_an_email_queued_while_the_broker_is_down_is_sent_by_the_scan(monkeypatch):
    from django.db import transaction

    def broker_down(*args, **kwargs):
        raise OperationalError("broker unreachable")

    monkeypatch.setattr("celery.app.task.Task.apply_async", broker_down)
    with transaction.atomic():
        email = followups.outbox_enqueue(key="k3", to_address="a@b.cn", subject="s", body="b")
    monkeypatch.undo()  # the commit above did not raise: the callback is robust

    assert followups.outbox_flush() == 1
    email.refresh_from_db()
    assert email.state == OutboxEmail.State.SENT


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("smtp down")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_scan_task(world, now, celery_worker_for_tests):
    follow_up = due_follow_up(world.users["own_staff"], now - timedelta(seconds=1))

    scan_due_follow_ups.apply_async(queue=celery_worker_for_tests)

    deadline = time.monotonic() + 30
    while not Notification.objects.filter(follow_up=follow_up).exists():
        assert time.monotonic() < deadline, "the worker did not deliver the follow-up"
        time.sleep(0.2)
    assert Notification.objects.filter(follow_up=follow_up).count() == 1
