"""Anonymous check-ins and feedback: counted per group and Shanghai day, pending until
approved, throttled per (address, station) honouring the trusted proxies; and the QR
poster staff print."""

import threading
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from stations.models import CheckInCount, Feedback
from stations.services import public as services
from tests.scope import check_scope
from tests.stations.test_public import make_station, own_address  # noqa: F401 - fixture

THROTTLED = 429


@pytest.fixture
def station(world):
    return make_station(world, "榆林社区爱心驿站", "40.517000", "95.780000")


@pytest.fixture
def other_station(world):
    return make_station(world, "东街爱心驿站", "40.530000", "95.780000")


def check_in(client, station, group="rider", **extra):
    return client.post(reverse("stations:check_in", args=[station.pk]), {"group": group}, **extra)


def leave_feedback(client, station, rating=5, comment="", **extra):
    return client.post(
        reverse("stations:feedback", args=[station.pk]),
        {"rating": rating, "comment": comment},
        **extra,
    )


def translated(response, msgid):
    """The message in the language the page was served in."""
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return gettext(msgid)


def counts(station):
    return {(c.day, c.group): c.count for c in CheckInCount.objects.filter(station=station)}


# --- Check-in -----------------------------------------------------------------------------


def test_a_check_in_counts_the_group_on_the_shanghai_day_and_says_thank_you(client, station):
    # 17:30 UTC on the 23rd is 01:30 on the 24th in Shanghai.
    with time_machine.travel(datetime(2026, 11, 23, 17, 30, tzinfo=UTC), tick=False):
        response = check_in(client, station)
        check_in(client, station)
        check_in(client, station, "sanitation")

    assert response.status_code == 302
    assert response["Location"] == reverse("stations:check_in", args=[station.pk])
    day = date(2026, 11, 24)
    assert counts(station) == {(day, "rider"): 2, (day, "sanitation"): 1}
    page = client.get(response["Location"])
    assert "榆林社区爱心驿站" in str(list(page.context["messages"])[0])


def test_the_check_in_page_offers_one_big_button_per_group(client, station):
    html = client.get(reverse("stations:check_in", args=[station.pk])).content.decode()

    for group in ("rider", "courier", "taxi", "sanitation", "traffic_police", "other"):
        assert f'name="group" value="{group}"' in html


@pytest.mark.parametrize("data", [{}, {"group": "pilot"}, {"group": "<b>"}])
def test_a_bad_group_is_a_form_error_and_nothing_is_counted(client, station, data):
    response = client.post(reverse("stations:check_in", args=[station.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].errors["group"]
    assert not CheckInCount.objects.exists()


def test_the_service_refuses_an_unknown_group(station):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.check_in_record(station=station, group="pilot")
    assert error.value.error_dict["group"][0].code == "invalid_group"


def test_check_ins_are_throttled_per_address_and_station(client, station, other_station):
    for _ in range(30):
        assert check_in(client, station).status_code == 302

    throttled = check_in(client, station)

    # Throttled answers are 429 with the page and a translated message; nothing counted.
    assert throttled.status_code == THROTTLED
    assert throttled.context["form"].non_field_errors() == [
        translated(throttled, "Too many check-ins from this network here. Please try again later.")
    ]
    assert sum(counts(station).values()) == 30
    # The same riders at the next station, and another address here, are not blocked.
    assert check_in(client, other_station).status_code == 302
    assert check_in(client, station, REMOTE_ADDR="10.200.0.1").status_code == 302
    assert sum(counts(station).values()) == 31


def test_riders_behind_a_trusted_proxy_are_told_apart(client, station, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.250.0.1"}
    for _ in range(30):
        check_in(client, station, HTTP_X_FORWARDED_FOR="172.16.5.1", **proxy)

    assert check_in(client, station, HTTP_X_FORWARDED_FOR="172.16.5.1", **proxy).status_code == (
        THROTTLED
    )
    assert check_in(client, station, HTTP_X_FORWARDED_FOR="172.16.5.2", **proxy).status_code == 302


def test_without_trusted_proxies_a_forwarded_header_is_ignored(client, station, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(30):
        check_in(client, station, HTTP_X_FORWARDED_FOR=f"172.16.6.{n}")

    # A script cannot dodge the limit by inventing addresses.
    assert check_in(client, station, HTTP_X_FORWARDED_FOR="172.16.7.1").status_code == THROTTLED
    assert sum(counts(station).values()) == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_check_ins_all_count():
    from tests.scope import build_world

    station = make_station(build_world(), "并发驿站")
    barrier = threading.Barrier(6)
    errors = []

    def tap():
        try:
            barrier.wait()
            services.check_in_record(station=station, group="courier")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=tap) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert CheckInCount.objects.get(station=station).count == 6


# --- Feedback ---------------------------------------------------------------------------------


def test_feedback_is_kept_pending_with_a_thank_you(client, station):
    response = leave_feedback(client, station, 4, "  热水很及时  ")

    assert response.status_code == 302
    assert response["Location"] == reverse("stations:station", args=[station.pk])
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment, feedback.status) == (4, "热水很及时", "pending")
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [
        translated(page, "Thank you for your feedback. It will appear after review.")
    ]
    assert "热水很及时" not in page.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"rating": "9"},
        {"rating": "0"},
        {"rating": "five"},
        {"rating": "5", "comment": "长" * 501},
    ],
)
def test_bad_feedback_is_a_form_error_keeping_the_input(client, station, data):
    response = client.post(reverse("stations:feedback", args=[station.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Feedback.objects.exists()
    if "comment" in data:
        assert "长" * 501 in response.content.decode()


def test_the_feedback_service_checks_the_rating(station):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.feedback_leave(station=station, rating=9)
    assert error.value.error_dict["rating"][0].code == "bad_rating"


def test_feedback_is_throttled_per_address_and_station(client, station, other_station):
    for n in range(5):
        assert leave_feedback(client, station, comment=f"第{n}条").status_code == 302

    throttled = leave_feedback(client, station, comment="第六条")

    assert throttled.status_code == THROTTLED
    assert throttled.context["form"].non_field_errors() == [
        translated(throttled, "Too much feedback from this network here. Please try again later.")
    ]
    assert "第六条" in throttled.content.decode()
    assert Feedback.objects.filter(station=station).count() == 5
    assert leave_feedback(client, other_station).status_code == 302
    assert leave_feedback(client, station, REMOTE_ADDR="10.201.0.1").status_code == 302


def test_feedback_throttling_honours_the_trusted_proxy(client, station, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.251.0.1"}
    for _ in range(5):
        leave_feedback(client, station, HTTP_X_FORWARDED_FOR="172.16.8.1", **proxy)

    assert (
        leave_feedback(client, station, HTTP_X_FORWARDED_FOR="172.16.8.1", **proxy).status_code
        == THROTTLED
    )
    assert (
        leave_feedback(client, station, HTTP_X_FORWARDED_FOR="172.16.8.2", **proxy).status_code
        == 302
    )


# --- The QR poster (staff only) -------------------------------------------------------------


def test_the_poster_is_for_those_who_see_the_station(client, world, station):
    url = reverse("stations:poster", args=[station.pk])
    responses = check_scope(
        client,
        world,
        url,
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 404,
            "official": 200,
            "org_member": 200,
        },
    )

    html = responses["own_staff"].content.decode()
    check_in_url = "http://testserver" + reverse("stations:check_in", args=[station.pk])
    assert check_in_url in html
    assert "<svg" in html and 'class="station-qr"' in html
    assert "榆林社区爱心驿站" in html


def test_the_qr_code_encodes_the_check_in_url(station):
    svg = services.check_in_qr_svg("https://portal.example.cn/stations/find/1/check-in/")

    assert svg.startswith("<svg") and "viewBox" in svg and "<script" not in svg
