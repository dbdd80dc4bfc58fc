"""Upkeep: supply checks update the amenities and keep one next-check reminder; a
first-aid kit's expiry keeps one reminder; temporary closure and reopening. Reminders
are delivered exactly once by the beat scan."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal.models import FollowUp, Notification
from portal.roles import Role
from portal.services.followups import followups_deliver_due
from portal.workdays import SHANGHAI
from stations.hours import temporarily_closed
from stations.models import Amenity, Condition, StationAmenity, SupplyCheck
from stations.services.upkeep import (
    EXPIRY_NOTICE_DAYS,
    NEXT_CHECK_DAYS,
    AmenityEntry,
    CheckLine,
    amenities_version,
    station_amenities_set,
    station_close,
    station_reopen,
    supply_check_record,
)
from tests.scope import check_scope
from tests.stations.test_staff_pages import make_station, station_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=SHANGHAI)  # a Monday
TODAY = NOW.date()
PENDING = (FollowUp.State.SCHEDULED, FollowUp.State.SENT)


@pytest.fixture
def world(db):
    return station_world()


@pytest.fixture
def station(world):
    station = make_station(world)
    for amenity, quantity in [(Amenity.WATER, 2), (Amenity.UMBRELLA, 8), (Amenity.FIRST_AID, 1)]:
        StationAmenity.objects.create(station=station, amenity=amenity, quantity=quantity)
    return station


def lines(**changes):
    found = {
        "water": CheckLine("water", Condition.GOOD, True, 2),
        "umbrella": CheckLine("umbrella", Condition.GOOD, False, 0),
        "first_aid": CheckLine("first_aid", Condition.WORN, True, 1),
    }
    found.update(changes)
    return list(found.values())


def pending_follow_ups():
    return FollowUp.objects.filter(state__in=PENDING)


def deliver_twice(at):
    return followups_deliver_due(now=at) + followups_deliver_due(now=at)


# --- supply checks ------------------------------------------------------------------


def test_host_staff_run_a_supply_check_from_the_page(client, world, station):
    client.force_login(world.users["org_member"])
    url = reverse("stations:station_check", args=[station.pk])
    form = client.get(url).context["form"]
    assert [a.amenity for a, *_ in form.rows()] == ["first_aid", "umbrella", "water"]

    response = client.post(
        url,
        {
            "checked_on": "",
            "condition_water": "good",
            "in_stock_water": "on",
            "quantity_water": "2",
            "condition_umbrella": "good",
            "quantity_umbrella": "0",
            "condition_first_aid": "worn",
            "in_stock_first_aid": "on",
            "quantity_first_aid": "1",
            "note": "雨伞全部借出",
        },
    )
    assert response.status_code == 200 and "checked_on" in response.context["form"].errors

    checked_on = date.today() - timedelta(days=1)
    response = client.post(
        url,
        {
            "checked_on": checked_on.isoformat(),
            "condition_water": "good",
            "in_stock_water": "on",
            "quantity_water": "2",
            "condition_umbrella": "good",
            "quantity_umbrella": "0",
            "condition_first_aid": "worn",
            "in_stock_first_aid": "on",
            "quantity_first_aid": "1",
            "note": "雨伞全部借出",
        },
    )

    assert response["Location"] == reverse("stations:station_detail", args=[station.pk])
    umbrella = station.amenities.get(amenity="umbrella")
    assert (umbrella.in_stock, umbrella.quantity, umbrella.last_checked) == (False, 0, checked_on)
    assert station.amenities.get(amenity="first_aid").condition == Condition.WORN
    check = SupplyCheck.objects.get()
    assert check.checked_by == world.users["org_member"]
    assert {line["amenity"]: line["in_stock"] for line in check.lines} == {
        "first_aid": True,
        "umbrella": False,
        "water": True,
    }


def test_a_check_schedules_one_next_check_for_the_hosts_members_delivered_once(world, station):
    check = supply_check_record(
        actor=world.users["own_staff"], station=station, checked_on=TODAY, lines=lines(), now=NOW
    )

    follow_up = check.next_check_follow_up
    assert list(pending_follow_ups()) == [follow_up]
    assert follow_up.due_at == datetime.combine(
        TODAY + timedelta(days=NEXT_CHECK_DAYS), time(9), tzinfo=SHANGHAI
    )
    assert (follow_up.assignee_role, follow_up.assignee_organisation) == (
        Role.ORGANISATION_MEMBER,
        world.organisation,
    )
    assert deliver_twice(NOW) == 0
    assert deliver_twice(follow_up.due_at) == 1
    assert list(Notification.objects.values_list("user", flat=True)) == [
        world.users["org_member"].pk
    ]


def test_the_next_check_cancels_the_previous_reminder(world, station):
    staff = world.users["org_member"]
    first = supply_check_record(
        actor=staff, station=station, checked_on=TODAY, lines=lines(), now=NOW
    )
    second = supply_check_record(
        actor=staff,
        station=station,
        checked_on=TODAY + timedelta(days=3),
        lines=lines(),
        now=NOW + timedelta(days=3),
    )

    first.next_check_follow_up.refresh_from_db()
    assert first.next_check_follow_up.state == FollowUp.State.CANCELLED
    assert list(pending_follow_ups()) == [second.next_check_follow_up]
    later = NOW + timedelta(days=30)
    assert deliver_twice(later) == 1
    assert Notification.objects.count() == 1


def test_without_host_members_the_communitys_staff_are_reminded(world):
    station = make_station(world, host=False)
    StationAmenity.objects.create(station=station, amenity=Amenity.WATER)

    check = supply_check_record(
        actor=world.users["own_staff"],
        station=station,
        checked_on=TODAY,
        lines=[CheckLine("water", Condition.GOOD, True, 1)],
        now=NOW,
    )
    deliver_twice(check.next_check_follow_up.due_at)

    assert (check.next_check_follow_up.assignee_role, check.next_check_follow_up.assignee_area) == (
        Role.COMMUNITY_STAFF,
        world.areas["community_a"],
    )
    assert list(Notification.objects.values_list("user", flat=True)) == [
        world.users["own_staff"].pk
    ]


def test_a_check_must_cover_exactly_the_stations_amenities(world, station):
    staff = world.users["own_staff"]
    with pytest.raises(ValidationError) as missing:
        supply_check_record(
            actor=staff, station=station, checked_on=TODAY, lines=lines()[:2], now=NOW
        )
    with pytest.raises(ValidationError) as extra:
        supply_check_record(
            actor=staff,
            station=station,
            checked_on=TODAY,
            lines=lines(toilet=CheckLine("toilet", Condition.GOOD, True, 1)),
            now=NOW,
        )
    assert missing.value.code == "stale" and extra.value.code == "stale"
    assert not SupplyCheck.objects.exists() and not FollowUp.objects.exists()


def test_a_check_in_the_future_or_of_nothing_is_refused(world):
    station = make_station(world)
    staff = world.users["own_staff"]
    with pytest.raises(ValidationError) as nothing:
        supply_check_record(actor=staff, station=station, checked_on=TODAY, lines=[], now=NOW)
    StationAmenity.objects.create(station=station, amenity=Amenity.WATER)
    with pytest.raises(ValidationError) as future:
        supply_check_record(
            actor=staff,
            station=station,
            checked_on=TODAY + timedelta(days=1),
            lines=[CheckLine("water", Condition.GOOD, True, 1)],
            now=NOW,
        )
    assert nothing.value.code == "no_amenities"
    assert future.value.error_dict["checked_on"][0].code == "future"


@pytest.mark.parametrize("persona", ["official", "other_staff", "resident"])
def test_viewers_and_outsiders_run_no_checks(world, station, persona):
    with pytest.raises(PermissionDenied):
        supply_check_record(
            actor=world.users[persona], station=station, checked_on=TODAY, lines=lines(), now=NOW
        )


def test_scope_of_the_supply_check_post(client, world, station):
    data = {"checked_on": date.today().isoformat(), "note": "ok"}
    for amenity in ("water", "umbrella", "first_aid"):
        data.update({f"condition_{amenity}": "good", f"quantity_{amenity}": "1"})
    check_scope(
        client,
        world,
        reverse("stations:station_check", args=[station.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 302,
            "programme_officer": 302,
            "official": 403,
            "org_member": 302,
        },
        method="post",
        data=data,
    )
    assert SupplyCheck.objects.count() == 3
    assert pending_follow_ups().count() == 1


def test_bad_check_input_is_a_form_error(client, world, station):
    client.force_login(world.users["own_staff"])
    url = reverse("stations:station_check", args=[station.pk])

    for data in ({}, {"checked_on": "someday", "quantity_water": "-1", "condition_water": "wet"}):
        response = client.post(url, data)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert 'value="someday"' in response.content.decode()
    assert not SupplyCheck.objects.exists()


# --- first-aid kit expiry -------------------------------------------------------------


def set_kit(world, station, expires_on, *, keep=True, now=NOW, actor="org_member"):
    rows = list(station.amenities.all())
    entries = [
        AmenityEntry(
            a.amenity,
            a.quantity,
            a.condition,
            a.in_stock,
            expires_on if a.amenity == Amenity.FIRST_AID else a.expires_on,
        )
        for a in rows
        if keep or a.amenity != Amenity.FIRST_AID
    ]
    return station_amenities_set(
        actor=world.users[actor],
        station=station,
        entries=entries,
        version=amenities_version(rows),
        now=now,
    )


def kit(station):
    return StationAmenity.objects.select_related("expiry_follow_up").get(
        station=station, amenity=Amenity.FIRST_AID
    )


def test_an_expiry_date_keeps_one_reminder_two_weeks_before_it(world, station):
    expires = TODAY + timedelta(days=60)
    set_kit(world, station, expires)

    reminder = kit(station).expiry_follow_up
    assert reminder.due_at == datetime.combine(
        expires - timedelta(days=EXPIRY_NOTICE_DAYS), time(9), tzinfo=SHANGHAI
    )
    assert reminder.assignee_organisation == world.organisation
    assert "2026-03-13" in reminder.reason

    # Saving the same date again changes nothing.
    assert not set_kit(world, station, expires)
    assert list(pending_follow_ups()) == [reminder]


def test_a_new_expiry_date_moves_the_reminder(world, station):
    set_kit(world, station, TODAY + timedelta(days=60))
    old = kit(station).expiry_follow_up

    set_kit(world, station, TODAY + timedelta(days=400))

    old.refresh_from_db()
    new = kit(station).expiry_follow_up
    assert old.state == FollowUp.State.CANCELLED
    assert list(pending_follow_ups()) == [new]
    assert new.due_at.date() == TODAY + timedelta(days=400 - EXPIRY_NOTICE_DAYS)


@pytest.mark.parametrize("how", ["date cleared", "amenity removed"])
def test_no_date_or_no_kit_cancels_the_reminder(world, station, how):
    set_kit(world, station, TODAY + timedelta(days=60))
    reminder = kit(station).expiry_follow_up

    if how == "date cleared":
        set_kit(world, station, None)
        assert kit(station).expiry_follow_up is None
    else:
        set_kit(world, station, None, keep=False)
        assert not station.amenities.filter(amenity=Amenity.FIRST_AID).exists()

    reminder.refresh_from_db()
    assert reminder.state == FollowUp.State.CANCELLED
    assert not pending_follow_ups().exists()


def test_the_expiry_reminder_is_delivered_once(world, station):
    set_kit(world, station, TODAY + timedelta(days=20))
    due = kit(station).expiry_follow_up.due_at

    assert deliver_twice(due - timedelta(minutes=1)) == 0
    assert deliver_twice(due) == 1
    assert deliver_twice(due + timedelta(days=1)) == 0
    assert Notification.objects.count() == 1


def test_an_expiry_entered_on_the_page_schedules_the_reminder(client, world, station):
    client.force_login(world.users["own_staff"])
    url = reverse("stations:station_amenities", args=[station.pk])
    form = client.get(url).context["form"]
    data = {"version": form["version"].value()}
    for amenity in ("water", "umbrella", "first_aid"):
        data.update(
            {
                f"has_{amenity}": "on",
                f"quantity_{amenity}": "1",
                f"condition_{amenity}": "good",
                f"in_stock_{amenity}": "on",
            }
        )
    data["expires_on_first_aid"] = (date.today() + timedelta(days=90)).isoformat()

    assert client.post(url, data).status_code == 302
    assert kit(station).expiry_follow_up.state == FollowUp.State.SCHEDULED


# --- temporary closure --------------------------------------------------------------


def test_host_staff_close_a_station_and_reopen_it(world, station):
    host = world.users["org_member"]
    station_close(
        actor=host, station=station, reason="暖气维修", until=TODAY + timedelta(days=3), now=NOW
    )
    station.refresh_from_db()
    assert temporarily_closed(station, TODAY)
    assert not temporarily_closed(station, TODAY + timedelta(days=4))

    station_reopen(actor=host, station=station)
    station.refresh_from_db()
    assert (station.closed_reason, station.closed_until) == ("", None)


def test_a_closure_needs_a_reason_and_no_past_end(world, station):
    with pytest.raises(ValidationError) as error:
        station_close(
            actor=world.users["own_staff"],
            station=station,
            reason="  ",
            until=TODAY - timedelta(days=1),
            now=NOW,
        )
    assert set(error.value.error_dict) == {"reason", "until"}


def test_the_close_form_answers_bad_input_on_the_station_page(client, world, station):
    client.force_login(world.users["own_staff"])
    url = reverse("stations:station_close", args=[station.pk])

    for data in ({}, {"reason": "x" * 300, "until": "soon"}):
        response = client.post(url, data)
        assert response.status_code == 200
        assert response.context["close_form"].errors
    station.refresh_from_db()
    assert not station.closed_reason


def test_scope_of_closing_and_reopening(client, world, station):
    expected = {
        "anonymous": 302,
        "resident": 404,
        "other_staff": 404,
        "own_staff": 302,
        "programme_officer": 302,
        "official": 403,
        "org_member": 302,
    }
    check_scope(
        client,
        world,
        reverse("stations:station_close", args=[station.pk]),
        expected,
        method="post",
        data={"reason": "停电"},
    )
    station.refresh_from_db()
    assert station.closed_reason == "停电"
    check_scope(
        client,
        world,
        reverse("stations:station_reopen", args=[station.pk]),
        expected,
        method="post",
    )
    station.refresh_from_db()
    assert station.closed_reason == ""


def test_closing_is_post_only(client, world, station):
    client.force_login(world.users["own_staff"])
    for name in ("station_close", "station_reopen"):
        assert client.get(reverse(f"stations:{name}", args=[station.pk])).status_code == 405
