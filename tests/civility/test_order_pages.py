"""Supervision order pages: scope, the list and its query count, issuing, reply and
re-check through the forms, the printable 督办单."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from civility.models import FindingStatus, OrderLevel, OrderStatus, SupervisionOrder
from civility.services import orders as services
from portal.roles import Programme
from tests.civility.test_order_services import (
    fresh,
    inspector,
    issue,
    make_finding,
    other_unit,
    photo,
    reply,
    status_of,
)
from tests.scope import build_world, check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def cworld(db):
    """The scope world with a civility officer; the world's organisation is the unit."""
    return build_world(Programme.CIVILITY)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def url(name, order=None):
    return reverse(f"civility:{name}", args=[order.pk] if order else [])


def later(days=7):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --- Scope --------------------------------------------------------------------------------

ORDER_PAGE = {
    "anonymous": 302,
    "resident": 404,
    "other_staff": 404,
    "own_staff": 200,
    "programme_officer": 200,
    "official": 200,
    "org_member": 200,
}


def test_scope_of_the_order_page_and_the_printable_order(client, cworld):
    order = issue(cworld, [make_finding(cworld)])

    check_scope(client, cworld, url("order_detail", order), ORDER_PAGE)
    check_scope(client, cworld, url("order_print", order), ORDER_PAGE)


def test_a_unit_sees_only_its_own_orders(client, cworld):
    unit_b, member_b = other_unit(cworld)
    theirs = issue(cworld, [make_finding(cworld, unit=unit_b)], unit=unit_b)
    mine = issue(cworld, [make_finding(cworld)])

    expected = {**ORDER_PAGE, "org_member": 404}
    check_scope(client, cworld, url("order_detail", theirs), expected)
    check_scope(client, cworld, url("order_print", theirs), expected)
    client.force_login(cworld.users["org_member"])
    listed = client.get(url("order_list")).context["rows"]
    assert [row[0] for row in listed] == [mine]
    client.force_login(member_b)
    assert client.get(url("order_detail", mine)).status_code == 404
    # Inspectors in the area see both.
    client.force_login(inspector(cworld))
    assert {row[0] for row in client.get(url("order_list")).context["rows"]} == {mine, theirs}


def test_scope_of_the_list_and_the_create_page(client, cworld):
    make_finding(cworld)

    check_scope(
        client,
        cworld,
        url("order_list"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )
    check_scope(
        client,
        cworld,
        url("order_create"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 403,
        },
    )


def test_another_programmes_officer_sees_no_orders(client, world):
    client.force_login(world.users["programme_officer"])  # a housing officer

    assert client.get(url("order_list")).status_code == 403


def test_scope_of_the_reply(client, cworld):
    order = issue(cworld, [make_finding(cworld)])

    # Those who see the order but are not its unit may not answer it.
    check_scope(
        client,
        cworld,
        url("order_reply", order),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 403,
            "programme_officer": 403,
            "official": 403,
            "org_member": 302,
        },
        method="post",
        data={"reply": "已整改"},
    )
    assert status_of(order) == OrderStatus.REPLIED


def test_scope_of_the_recheck(client, cworld):
    order = issue(cworld, [make_finding(cworld)])
    reply(cworld, order)

    # Sent empty: inspectors get the form back with errors, nobody else gets a form.
    check_scope(
        client,
        cworld,
        url("order_recheck", order),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 403,
        },
        method="post",
    )
    assert status_of(order) == OrderStatus.REPLIED


# --- The list -----------------------------------------------------------------------------


def other_unit_member(unit):
    from portal.models import Membership

    return Membership.objects.get(organisation=unit).user


def make_orders(world, size):
    unit_b, _member_b = other_unit(world)
    for n in range(size):
        unit = unit_b if n % 2 else world.organisation
        findings = [make_finding(world, unit=unit) for _ in range(2)]
        issue(
            world,
            findings,
            unit=unit,
            level=OrderLevel.RED if n % 3 == 0 else OrderLevel.NORMAL,
        )
    return unit_b


# Session, user, memberships, count, page, nav, bell, the unit filter's choices: 8 today;
# two spare for navigation items other parts add.
LIST_QUERIES = 10


@pytest.mark.parametrize("size", [3, 30])
def test_the_list_runs_a_fixed_number_of_queries(
    client, cworld, size, django_assert_max_num_queries
):
    unit_b = make_orders(cworld, size)
    client.force_login(inspector(cworld))

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(url("order_list"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(size, 25)
    assert response.context["rows"][0][0].finding_count == 2
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(
            url("order_list"),
            {"status": OrderStatus.ISSUED, "level": OrderLevel.NORMAL, "unit": unit_b.pk},
        )
    expected = sum(1 for n in range(size) if n % 2 and n % 3)
    assert len(response.context["rows"]) == min(expected, 25)


def test_the_list_filters_orders_the_unit_is_late_with(client, cworld):
    unit_b = make_orders(cworld, 4)
    late, answered = SupervisionOrder.objects.filter(responsible_unit=unit_b).order_by("pk")
    reply_b = other_unit_member(unit_b)
    services.order_reply(actor=reply_b, order=fresh(answered), reply="已整改")
    yesterday = timezone.localdate() - timedelta(days=1)
    SupervisionOrder.objects.filter(pk__in=[late.pk, answered.pk]).update(deadline=yesterday)
    client.force_login(inspector(cworld))

    response = client.get(url("order_list"), {"overdue": "true"})
    assert [row[0] for row in response.context["rows"]] == [late]
    assert response.context["rows"][0][1] is True
    response = client.get(url("order_list"), {"unit": unit_b.pk, "overdue": "false"})
    assert [row[0] for row in response.context["rows"]] == [answered]
    response = client.get(url("order_detail", late))
    assert response.context["overdue"] is True


def test_bad_filter_values_are_a_form_error_not_a_500(client, cworld):
    make_orders(cworld, 2)
    client.force_login(inspector(cworld))

    response = client.get(url("order_list"), {"status": "nope", "unit": "x", "overdue": "maybe"})

    assert response.status_code == 200
    assert response.context["filter"].form.errors


# --- Issuing ------------------------------------------------------------------------------


def test_the_create_page_offers_the_chosen_units_open_findings(client, cworld):
    unit_b, _member_b = other_unit(cworld)
    mine = make_finding(cworld)
    taken = make_finding(cworld)
    issue(cworld, [taken])
    theirs = make_finding(cworld, unit=unit_b)
    client.force_login(inspector(cworld))

    response = client.get(url("order_create"))
    assert set(response.context["unit_form"].fields["unit"].queryset) == {
        cworld.organisation,
        unit_b,
    }
    response = client.get(url("order_create"), {"unit": cworld.organisation.pk})

    assert [finding for finding, _ticked in response.context["candidates"]] == [mine]
    page = response.content.decode()
    assert mine.case.reference in page and mine.criterion.code in page
    assert theirs.case.reference not in page and taken.case.reference not in page


def test_issuing_through_the_form(client, cworld):
    findings = [make_finding(cworld), make_finding(cworld)]
    client.force_login(inspector(cworld))

    response = client.post(
        url("order_create"),
        {
            "unit": cworld.organisation.pk,
            "findings": [f.pk for f in findings],
            "deadline": later(10),
            "level": OrderLevel.RED,
            "requirements": "限期整改后厨卫生",
        },
    )

    order = SupervisionOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == url("order_detail", order)
    assert order.level == OrderLevel.RED and order.requirements == "限期整改后厨卫生"
    assert set(order.findings.all()) == set(findings)
    assert all(status_of(f) == FindingStatus.ORDERED for f in findings)


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({}, {"unit", "findings", "deadline", "level", "requirements"}),
        (
            {"unit": "abc", "findings": "x", "deadline": "31/31/2024", "level": "gold"},
            {"unit", "findings", "deadline", "level", "requirements"},
        ),
        ({"deadline": "2001-01-01", "requirements": "整改要求"}, {"deadline"}),
    ],
)
def test_bad_input_on_the_create_form_is_a_form_error(client, cworld, data, fields):
    finding = make_finding(cworld)
    client.force_login(inspector(cworld))
    posted = {"unit": cworld.organisation.pk, "findings": [finding.pk], "level": "normal"}
    posted.update(data)
    if not data:
        posted = {}

    response = client.post(url("order_create"), posted)

    assert response.status_code == 200
    assert fields <= set(response.context["form"].errors)
    assert not SupervisionOrder.objects.exists()
    if "requirements" in posted:
        assert posted["requirements"] in response.content.decode()


def test_a_finding_of_another_unit_is_refused_with_its_reference(client, cworld):
    unit_b, _member_b = other_unit(cworld)
    theirs = make_finding(cworld, unit=unit_b)
    make_finding(cworld)
    client.force_login(inspector(cworld))

    response = client.post(
        url("order_create"),
        {
            "unit": cworld.organisation.pk,
            "findings": [theirs.pk],
            "deadline": later(),
            "level": "normal",
            "requirements": "整改",
        },
    )

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["findings"])
    assert theirs.case.reference in errors
    assert not SupervisionOrder.objects.exists()


# --- Reply and re-check through the page --------------------------------------------------


def test_the_unit_replies_and_the_inspector_rechecks_through_the_page(client, cworld):
    finding = make_finding(cworld)
    order = issue(cworld, [finding])
    client.force_login(cworld.users["org_member"])
    page = client.get(url("order_detail", order))
    assert "reply_form" in page.context and "recheck_form" not in page.context

    response = client.post(
        url("order_reply", order), {"reply": "已整改，见照片。", "photos": [photo()]}
    )
    assert response.status_code == 302
    assert fresh(order).case.attachments.count() == 1

    client.force_login(inspector(cworld))
    page = client.get(url("order_detail", order))
    assert "recheck_form" in page.context and "reply_form" not in page.context
    response = client.post(
        url("order_recheck", order),
        {"result": "failed", "note": "仍有油污", "deadline": later(4)},
    )
    assert response.status_code == 302
    assert status_of(order) == OrderStatus.REOPENED

    client.force_login(cworld.users["org_member"])
    client.post(url("order_reply", order), {"reply": "再次清理完毕"})
    client.force_login(inspector(cworld))
    client.post(url("order_recheck", order), {"result": "passed"})
    assert status_of(order) == OrderStatus.CLOSED
    assert status_of(finding) == FindingStatus.RESOLVED

    page = client.get(url("order_detail", order))
    assert "reopen_form" in page.context
    response = client.post(url("order_recheck", order), {"note": "问题反弹", "deadline": later(3)})
    assert response.status_code == 302
    assert status_of(order) == OrderStatus.REOPENED


def test_bad_input_on_the_reply_and_recheck_forms_is_a_form_error(client, cworld):
    order = issue(cworld, [make_finding(cworld)])
    client.force_login(cworld.users["org_member"])

    response = client.post(url("order_reply", order), {"reply": ""})
    assert response.status_code == 200
    assert "reply" in response.context["form"].errors
    response = client.post(url("order_reply", order), {"reply": "x" * 5000})
    assert "reply" in response.context["form"].errors

    reply(cworld, order)
    client.force_login(inspector(cworld))
    response = client.post(
        url("order_recheck", order), {"result": "failed", "note": "", "deadline": "soon"}
    )
    assert response.status_code == 200
    assert {"note", "deadline"} <= set(response.context["form"].errors)
    response = client.post(url("order_recheck", order), {"result": "maybe"})
    assert "result" in response.context["form"].errors
    assert status_of(order) == OrderStatus.REPLIED


# --- The printable order ------------------------------------------------------------------


def test_the_printable_order_is_a_chinese_document(client, cworld):
    findings = [make_finding(cworld), make_finding(cworld)]
    order = issue(cworld, findings, requirements="立即整改餐具消毒问题")
    client.force_login(inspector(cworld))

    response = client.get(url("order_print", order), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "zh-hans"
    assert "督办单" in page
    assert fresh(order).case.reference in page
    assert cworld.organisation.name in page
    assert "立即整改餐具消毒问题" in page
    for finding in findings:
        assert finding.criterion.code in page
        assert finding.criterion.text in page
        assert finding.site.name in page
    assert str(inspector(cworld)) in page
    # A document, not a page: no navigation.
    assert "<nav" not in page and 'lang="zh-hans"' in page


def test_the_order_page_lists_findings_with_criteria_and_sites(client, cworld):
    finding = make_finding(cworld)
    order = issue(cworld, [finding])
    client.force_login(cworld.users["org_member"])

    page = client.get(url("order_detail", order)).content.decode()

    assert finding.criterion.text in page and finding.site.name in page
    assert fresh(order).case.reference in page
    assert url("order_print", order) in page


def test_services_are_the_only_way_to_move_an_order(cworld):
    # The page's permission helpers agree with the services.
    order = issue(cworld, [make_finding(cworld)])
    assert services.may_reply(cworld.users["org_member"], fresh(order))
    assert not services.may_reply(inspector(cworld), fresh(order))
    assert services.may_recheck(inspector(cworld), fresh(order))
    assert not services.may_recheck(cworld.users["official"], fresh(order))
