"""Finding pages: scope (a responsible unit sees its findings, not the inspections),
resolution and re-check forms, the list's filters and query count."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from civility.models import Finding, FindingStatus, Resolution, Result, SiteType
from tests.civility.test_finding_services import failed
from tests.civility.test_inspection_services import (
    answer,
    criteria_set,
    officer,
    photo,
    site,
    start,
)
from tests.scope import check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    from portal.roles import Programme
    from tests.scope import build_world

    return build_world(Programme.CIVILITY)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def url(name, finding=None):
    return reverse(f"civility:{name}", args=[finding.pk] if finding else [])


def test_scope_of_the_finding_pages(client, world):
    finding = failed(world)
    check_scope(
        client,
        world,
        url("finding_detail", finding),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            # The responsible unit sees its own finding.
            "org_member": 200,
        },
    )
    check_scope(
        client,
        world,
        url("finding_list"),
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
    for name in ("finding_resolve", "finding_recheck"):
        check_scope(
            client,
            world,
            url(name, finding),
            {
                "anonymous": 302,
                "resident": 404,
                "other_staff": 404,
                "own_staff": 200,
                "programme_officer": 200,
                "official": 404,
                "org_member": 404,
            },
            method="post",
        )


def test_the_responsible_unit_sees_its_findings_but_not_the_inspections(client, world):
    finding = failed(world)
    client.force_login(world.users["org_member"])

    listing = client.get(url("finding_list"))
    assert [f.pk for f, _overdue in listing.context["rows"]] == [finding.pk]
    page = client.get(url("finding_detail", finding))
    assert page.context["sees_inspection"] is False
    assert "resolve_form" not in page.context
    inspection_url = reverse("civility:inspection_detail", args=[finding.inspection_id])
    assert inspection_url not in page.content.decode()
    assert client.get(inspection_url).status_code == 404


def test_another_units_findings_are_out_of_reach(client, world):
    from portal.roles import Role
    from tests.factories import OrganisationFactory, UserFactory, member

    finding = failed(world)
    other_unit = OrganisationFactory(name="Other unit", area=world.areas["subdistrict"])
    stranger = UserFactory()
    member(stranger, Role.ORGANISATION_MEMBER, organisation=other_unit)
    client.force_login(stranger)
    assert client.get(url("finding_detail", finding)).status_code == 404
    assert list(client.get(url("finding_list")).context["rows"]) == []


def test_fixed_on_the_spot_without_a_photo_is_refused_with_a_form_error(client, world):
    finding = failed(world)
    client.force_login(officer(world))
    response = client.post(
        url("finding_resolve", finding),
        {"resolution": Resolution.FIXED_ON_SPOT, "severity": "major", "note": "wiped down"},
    )
    assert response.status_code == 200
    form = response.context["resolve_form"]
    assert form.errors["after_photo"]
    assert form["note"].value() == "wiped down"
    finding.refresh_from_db()
    assert finding.resolution == ""

    response = client.post(
        url("finding_resolve", finding),
        {"resolution": Resolution.FIXED_ON_SPOT, "severity": "minor", "after_photo": photo()},
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.resolution == Resolution.FIXED_ON_SPOT
    assert finding.after_photo is not None
    page = client.get(url("finding_detail", finding)).content.decode()
    assert 'id="after-photo"' in page


def test_a_document_is_not_an_after_photo(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    finding = failed(world)
    client.force_login(officer(world))
    pdf = SimpleUploadedFile("fix.pdf", b"%PDF-1.4 fake", content_type="application/pdf")
    response = client.post(
        url("finding_resolve", finding),
        {"resolution": Resolution.FIXED_ON_SPOT, "severity": "minor", "after_photo": pdf},
    )
    assert response.status_code == 200
    assert response.context["resolve_form"].errors["after_photo"]


def test_deadline_then_recheck_from_the_pages(client, world):
    finding = failed(world)
    client.force_login(officer(world))
    rectify_by = timezone.localdate() + timedelta(days=7)
    response = client.post(
        url("finding_resolve", finding),
        {
            "resolution": Resolution.DEADLINE,
            "severity": "serious",
            "rectify_by": rectify_by.isoformat(),
        },
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.sent_to_platform and finding.case.status == FindingStatus.RECTIFYING
    page = client.get(url("finding_detail", finding))
    assert "recheck_form" in page.context and "resolve_form" not in page.context

    response = client.post(url("finding_recheck", finding), {"passed": "no"})
    assert response.status_code == 200
    assert response.context["recheck_form"].errors["note"]
    response = client.post(url("finding_recheck", finding), {"passed": "yes"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.case.status == FindingStatus.RESOLVED
    assert finding.case.closed_at is not None


def test_bad_input_on_the_finding_forms_is_a_form_error(client, world):
    finding = failed(world)
    client.force_login(officer(world))
    for data in ({}, {"resolution": "magic", "severity": "x", "rectify_by": "soon"}):
        response = client.post(url("finding_resolve", finding), data)
        assert response.status_code == 200
        assert response.context["resolve_form"].errors
    response = client.post(
        url("finding_resolve", finding),
        {"resolution": Resolution.DEADLINE, "severity": "minor", "rectify_by": "2001-01-01"},
    )
    assert response.context["resolve_form"].errors["rectify_by"]
    for data in ({}, {"passed": "perhaps"}):
        response = client.post(url("finding_recheck", finding), data)
        assert response.status_code == 200
        assert response.context["recheck_form"].errors


# --- The list ---------------------------------------------------------------------------------


def make_findings(world, size):
    criteria_set(world)
    kitchens = [site(world, name=f"Kitchen {n}") for n in range(2)]
    market = site(world, type_=SiteType.MARKET, name="East market")
    for n in range(size):
        inspection = start(world, kitchens[n % 2])
        answer(world, inspection, "C01", Result.FAIL)
        answer(world, inspection, "C02", Result.FAIL)
    inspection = start(world, market)
    answer(world, inspection, "M01", Result.FAIL)
    return Finding.objects.order_by("pk")


# Session, user, memberships, the mediator and notification checks, and one query per
# keyset segment a page reaches (open with a due date, open without, closed).
LIST_QUERIES = 8


@pytest.mark.parametrize("size", [2, 20])
def test_the_finding_list_runs_a_fixed_number_of_queries(
    client, world, size, django_assert_max_num_queries
):
    make_findings(world, size)
    client.force_login(officer(world))
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(url("finding_list"))
    assert len(response.context["rows"]) == min(2 * size + 1, 25)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(
            url("finding_list"),
            {"site_type": "restaurant", "category": "catering", "overdue": "false"},
        )
    assert len(response.context["rows"]) == min(2 * size, 25)


def test_the_finding_list_filters(client, world):
    findings = list(make_findings(world, 2))
    from civility.services.findings import finding_resolve

    finding_resolve(actor=officer(world), finding=findings[0], resolution=Resolution.VERBAL)
    late = findings[1].case
    late.due_at = timezone.now() - timedelta(days=1)
    late.save()
    client.force_login(officer(world))

    def pks(**params):
        return {f.pk for f, _overdue in client.get(url("finding_list"), params).context["rows"]}

    assert pks(resolution="verbal") == {findings[0].pk}
    assert pks(resolution="none") == {f.pk for f in findings[1:]}
    assert pks(status="resolved") == {findings[0].pk}
    assert pks(site_type="market") == {findings[-1].pk}
    assert pks(category="market") == {findings[-1].pk}
    assert pks(overdue="true") == {findings[1].pk}
    response = client.get(url("finding_list"), {"status": "nonsense"})
    assert response.status_code == 200


def test_the_finding_list_pages_by_cursor_open_first_by_due_date(client, world):
    from civility.services.findings import finding_resolve

    findings = list(make_findings(world, 14))
    for finding in findings[:5]:
        finding_resolve(actor=officer(world), finding=finding, resolution=Resolution.VERBAL)
    kitchen_findings = {f.pk for f in findings if f.site.type == SiteType.RESTAURANT}
    client.force_login(officer(world))

    first = client.get(url("finding_list"), {"site_type": "restaurant"})
    keyset = first.context["keyset"]
    assert keyset.has_next and not keyset.has_previous
    second = client.get(
        url("finding_list"), {"site_type": "restaurant", "after": keyset.next_cursor}
    )

    rows = [f for f, _overdue in first.context["rows"]] + [
        f for f, _overdue in second.context["rows"]
    ]
    assert len(first.context["rows"]) == 25 and len(second.context["rows"]) == 3
    # Every restaurant finding once.
    assert len(rows) == len({f.pk for f in rows}) == len(kitchen_findings)
    assert {f.pk for f in rows} == kitchen_findings
    # Open ones first, soonest due first; then the closed ones in the order they closed.
    open_rows = [f for f in rows if f.case.closed_at is None]
    closed_rows = [f for f in rows if f.case.closed_at is not None]
    assert rows == open_rows + closed_rows and len(closed_rows) == 5
    assert [(f.case.due_at, f.pk) for f in open_rows] == sorted(
        (f.case.due_at, f.pk) for f in open_rows
    )
    assert [(f.case.closed_at, f.pk) for f in closed_rows] == sorted(
        (f.case.closed_at, f.pk) for f in closed_rows
    )
    assert second.context["keyset"].has_previous and not second.context["keyset"].has_next
    # The filter stays on the next link, and "Previous" leads back to the first page.
    next_link = first.content.decode().split('rel="next"')[0].rsplit("href", 1)[1]
    assert "site_type=restaurant" in next_link
    back = client.get(
        url("finding_list"),
        {"site_type": "restaurant", "after": second.context["keyset"].previous_cursor},
    )
    assert [f.pk for f, _overdue in back.context["rows"]] == [
        f.pk for f, _overdue in first.context["rows"]
    ]


def test_the_finding_list_overdue_filter_pages_past_the_late_ones(client, world):
    findings = list(make_findings(world, 2))
    late = findings[1].case
    late.due_at = timezone.now() - timedelta(days=1)
    late.save()
    client.force_login(officer(world))

    def pks(**params):
        return [f.pk for f, _overdue in client.get(url("finding_list"), params).context["rows"]]

    assert pks(overdue="true") == [findings[1].pk]
    assert sorted(pks(overdue="false")) == sorted(f.pk for f in findings if f != findings[1])
    # A tampered cursor gives the first page, never an error.
    assert pks(overdue="false", after="nonsense") == pks(overdue="false")
