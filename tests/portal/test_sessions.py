"""Session limits: idle and absolute timeouts for staff and residents, and "log out
other sessions"."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portal import security

pytestmark = pytest.mark.django_db


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def test_staff_are_logged_out_after_thirty_idle_minutes(client, world, clock):
    client.force_login(world.users["own_staff"])
    clock.shift(timedelta(minutes=29))
    assert client.get(reverse("portal:home")).status_code == 200

    clock.shift(timedelta(minutes=31))
    response = client.get(reverse("portal:my_open_cases"))

    assert sent_to_login(response)
    assert "next=" in response.url
    followed = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    messages = [str(m) for m in followed.context["messages"]]
    # Added during the expiring request, in that request's language.
    english = "You were logged out after a period without activity. Please log in again."
    with translation.override(settings.LANGUAGE_CODE):
        expected = {english, gettext(english)}
    assert expected & set(messages), messages
    assert client.get(reverse("portal:home")).status_code == 302


def test_activity_keeps_a_staff_session_until_its_twelve_hours_are_up(client, world, clock):
    client.force_login(world.users["own_staff"])
    for _ in range(35):  # 35 × 20 minutes = 11 h 40 min
        clock.shift(timedelta(minutes=20))
        assert client.get(reverse("portal:home")).status_code == 200

    clock.shift(timedelta(minutes=21))

    assert sent_to_login(client.get(reverse("portal:home")))


def test_residents_keep_their_session_for_days(client, world, clock):
    client.force_login(world.users["resident"])
    clock.shift(timedelta(days=6))
    assert client.get(reverse("portal:home")).status_code == 200

    clock.shift(timedelta(days=8))

    assert sent_to_login(client.get(reverse("portal:home")))


def test_a_resident_session_ends_after_thirty_days_even_in_use(client, world, clock):
    client.force_login(world.users["resident"])
    for _ in range(6):
        clock.shift(timedelta(days=5))
        assert client.get(reverse("portal:home")).status_code == 200

    clock.shift(timedelta(hours=1))

    assert sent_to_login(client.get(reverse("portal:home")))


def test_the_limits_are_settings(client, world, clock, settings):
    settings.STAFF_SESSION_IDLE = timedelta(minutes=5)
    client.force_login(world.users["own_staff"])

    clock.shift(timedelta(minutes=6))

    assert sent_to_login(client.get(reverse("portal:home")))


def test_reading_pages_writes_the_session_at_most_once_a_minute(client, world, clock):
    client.force_login(world.users["own_staff"])
    seen = client.session[security.SEEN_AT]

    clock.shift(timedelta(seconds=20))
    client.get(reverse("portal:home"))
    assert client.session[security.SEEN_AT] == seen

    clock.shift(timedelta(seconds=50))
    client.get(reverse("portal:home"))
    assert client.session[security.SEEN_AT] > seen


def test_log_out_other_sessions_keeps_this_one(client, world, clock):
    staff = world.users["own_staff"]
    other = Client()
    other.force_login(staff)
    clock.shift(timedelta(minutes=1))
    client.force_login(staff)
    clock.shift(timedelta(seconds=10))
    assert (
        reverse("portal:sessions_end_others")
        in client.get(reverse("portal:my_account")).content.decode()
    )

    response = client.post(reverse("portal:sessions_end_others"))

    assert response.url == reverse("portal:my_account")
    assert client.get(reverse("portal:home")).status_code == 200
    assert sent_to_login(other.get(reverse("portal:home")))
    staff.refresh_from_db()
    assert staff.sessions_valid_after is not None
    # Logging in again afterwards gives a working session.
    clock.shift(timedelta(seconds=10))
    other.force_login(staff)
    assert other.get(reverse("portal:home")).status_code == 200
