"""The audit: reveals, exports, logins, refused accesses and case history, scoped and kept."""

from datetime import timedelta

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.contrib import admin
from django.core.checks import Error
from django.urls import reverse
from django.utils import timezone

from housing.services import registry as housing_registry
from portal.checks import check_audit_retention
from portal.models import ExportJob, PersonalDataAccess, RefusedAccess, RetentionRun
from portal.roles import Role
from portal.services.audit import audit_expire
from tests.factories import PASSWORD, UserFactory, member
from tests.kitapp.services import ticket_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

LISTS = ["reveals", "exports", "logins", "failed_logins", "refused"]
# Only auditors use the audit: officials here (secretaries and subdistrict staff too).
AUDITORS_ONLY = {
    "anonymous": 302,
    "resident": 403,
    "other_staff": 403,
    "own_staff": 403,
    "programme_officer": 403,
    "official": 200,
    "org_member": 403,
}


@pytest.fixture
def secretary_b(world):
    """A community secretary of the *other* community: audits community B only."""
    user = UserFactory(username="secretary_b")
    member(user, Role.PARTY_SECRETARY, area=world.areas["community_b"])
    return user


def page_text(client, user, name, **params):
    client.force_login(user)
    response = client.get(reverse(f"portal:audit_{name}"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("name", ["audit", *[f"audit_{n}" for n in LISTS]])
def test_only_auditors_open_the_audit_pages(client, world, name):
    check_scope(client, world, reverse(f"portal:{name}"), AUDITORS_ONLY)


def test_the_case_history_is_for_auditors_whose_area_holds_the_case(client, world, secretary_b):
    case = ticket_open(
        actor=world.users["own_staff"], community=world.areas["community_a"], title="Lamp"
    ).case
    url = reverse("portal:audit_case_history", args=[case.pk])

    check_scope(client, world, url, AUDITORS_ONLY)
    client.force_login(secretary_b)
    assert client.get(url).status_code == 404


class TestReveals:
    def test_a_reveal_through_the_page_appears_in_the_audit(self, client, world, owner):
        client.force_login(world.users["own_staff"])
        client.post(
            reverse("housing:person_reveal", args=[owner.pk]), {"reason": "checking a subsidy"}
        )

        html = page_text(client, world.users["official"], "reveals")

        assert f"housing.person:{owner.pk}" in html
        assert "checking a subsidy" in html and "id_number" in html
        assert world.users["own_staff"].display_name in html

    def test_rows_about_other_areas_accounts_are_not_shown(self, client, world, owner, secretary_b):
        housing_registry.person_reveal_id(
            actor=world.users["own_staff"], person=owner, reason="subsidy"
        )

        assert "subsidy" not in page_text(client, secretary_b, "reveals")
        assert "subsidy" in page_text(client, world.users["official"], "reveals")

    def test_filters_by_account_date_and_kind(self, client, world, owner):
        housing_registry.person_reveal_id(
            actor=world.users["own_staff"], person=owner, reason="subsidy"
        )
        official = world.users["official"]
        today = timezone.localdate().isoformat()
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

        assert "subsidy" in page_text(client, official, "reveals", account="own_staff")
        assert "subsidy" not in page_text(client, official, "reveals", account="nobody")
        assert "subsidy" in page_text(client, official, "reveals", start=today, end=today)
        assert "subsidy" not in page_text(client, official, "reveals", start=tomorrow)
        assert "subsidy" not in page_text(client, official, "reveals", kind="sensitive")

    def test_a_malformed_filter_is_a_form_error_not_a_500(self, client, world):
        client.force_login(world.users["official"])
        response = client.get(reverse("portal:audit_reveals"), {"start": "31-31-2026"})
        assert response.status_code == 200 and response.context["filter"].errors


class TestExports:
    def test_an_export_through_the_export_view_appears_in_the_audit(self, client, world):
        ticket_open(
            actor=world.users["own_staff"], community=world.areas["community_a"], title="Lamp"
        )
        client.force_login(world.users["own_staff"])
        response = client.get(reverse("portal:export", args=["kitapp.tickets"]), {"q": "Lamp"})
        assert response.status_code == 200

        html = page_text(client, world.users["official"], "exports")

        job = ExportJob.objects.get(provider="kitapp.tickets")
        assert job.rows_total == 1 and job.params == {"q": "Lamp"}
        assert "q=Lamp" in html and world.users["own_staff"].display_name in html

    def test_exporting_the_audit_is_itself_an_audited_export(self, client, world, owner):
        housing_registry.person_reveal_id(
            actor=world.users["own_staff"], person=owner, reason="subsidy"
        )
        client.force_login(world.users["official"])

        response = client.get(reverse("portal:export", args=["portal.audit_reveals"]))

        assert response.status_code == 200
        assert "subsidy" in response.content.decode("utf-8-sig")
        assert ExportJob.objects.filter(
            provider="portal.audit_reveals", requester=world.users["official"], rows_total=1
        ).exists()
        assert "portal.audit_reveals" in str(page_text(client, world.users["official"], "exports"))

    def test_those_who_may_not_audit_cannot_export_it(self, client, world):
        client.force_login(world.users["own_staff"])
        response = client.get(reverse("portal:export", args=["portal.audit_reveals"]))
        assert response.status_code == 403

    def test_a_malformed_export_filter_is_a_400(self, client, world):
        client.force_login(world.users["official"])
        response = client.get(
            reverse("portal:export", args=["portal.audit_reveals"]), {"start": "not-a-date"}
        )
        assert response.status_code == 400


class TestRefusedAccess:
    def test_a_404_on_a_scoped_object_is_logged_with_its_record(self, client, world):
        case = ticket_open(
            actor=world.users["other_staff"], community=world.areas["community_b"], title="Lamp"
        ).case
        client.force_login(world.users["own_staff"])

        response = client.get(reverse("portal:case_detail", args=[case.pk]) + "?q=secret")

        assert response.status_code == 404
        refused = RefusedAccess.objects.get()
        assert refused.user == world.users["own_staff"] and refused.status == 404
        assert refused.target == f"portal.case:{case.pk}"
        assert refused.path == f"/cases/{case.pk}/" and refused.ip_address == "127.0.0.1"
        assert f"portal.case:{case.pk}" in page_text(client, world.users["official"], "refused")

    def test_a_403_is_logged_and_anonymous_visitors_are_not(self, client, world):
        client.get(reverse("portal:audit"))
        assert not RefusedAccess.objects.exists()

        client.force_login(world.users["resident"])
        assert client.get(reverse("portal:audit")).status_code == 403

        assert RefusedAccess.objects.get().status == 403

    def test_a_failing_log_never_turns_a_404_into_a_500(self, client, world, monkeypatch):
        def broken(*args, **kwargs):
            raise RuntimeError("log unavailable")

        monkeypatch.setattr(RefusedAccess.objects, "create", broken)
        client.force_login(world.users["own_staff"])

        assert client.get(reverse("portal:case_detail", args=[999999])).status_code == 404


class TestLogins:
    def test_logins_logouts_and_failed_logins_are_recorded_and_shown(self, client, world):
        staff = world.users["own_staff"]
        client.post(reverse("login"), {"username": staff.username, "password": "wrong"})
        client.post(reverse("login"), {"username": staff.username, "password": PASSWORD})
        client.post(reverse("logout"))

        failure = AccessFailureLog.objects.get(username=staff.username)
        login = AccessLog.objects.get(username=staff.username)
        assert failure.ip_address == "127.0.0.1"
        assert login.logout_time is not None, "logout times are recorded"

        official = world.users["official"]
        assert staff.display_name in page_text(client, official, "logins")
        assert staff.display_name in page_text(client, official, "failed_logins")

    def test_login_names_that_are_phone_numbers_are_masked(self, client, world):
        phone_user = UserFactory(username="13912345678", display_name="Li")
        member(phone_user, Role.COMMUNITY_STAFF, area=world.areas["community_a"])
        AccessLog.objects.create(username="13912345678", user_agent="t", http_accept="t")

        html = page_text(client, world.users["official"], "logins")

        assert "139****5678" in html and "13912345678" not in html


class TestQueryCounts:
    @staticmethod
    def fill(world, n):
        staff = world.users["own_staff"]
        for i in range(n):
            PersonalDataAccess.objects.create(
                user=staff, kind="reveal", target=f"housing.person:{i}", field="id_number"
            )
            ExportJob.objects.create(requester=staff, provider="kitapp.tickets", format="csv")
            RefusedAccess.objects.create(user=staff, status=404, path=f"/cases/{i}/")
            AccessLog.objects.create(username=staff.username, user_agent="t", http_accept="t")
            AccessFailureLog.objects.create(
                username=staff.username, user_agent="t", http_accept="t"
            )

    @pytest.mark.parametrize("name", ["audit", *[f"audit_{n}" for n in LISTS]])
    def test_each_list_costs_the_same_queries_at_two_sizes(
        self, client, world, django_assert_max_num_queries, name
    ):
        client.force_login(world.users["official"])
        url = reverse(f"portal:{name}")
        self.fill(world, 3)
        client.get(url)  # warm caches (sessions, content types)
        with django_assert_max_num_queries(12) as small:
            client.get(url)
        self.fill(world, 30)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(url).status_code == 200


class TestReadOnlyAndRetention:
    @pytest.mark.parametrize(
        "model", [PersonalDataAccess, RefusedAccess, ExportJob, RetentionRun, AccessLog]
    )
    def test_the_admin_cannot_add_change_or_delete_audit_rows(self, rf, model):
        request = rf.get("/")
        request.user = UserFactory(is_superuser=True, is_staff=True)
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)

    def test_rows_past_the_retention_are_deleted_and_the_pass_recorded(self, world, settings):
        settings.AUDIT_RETENTION_DAYS = 200
        staff = world.users["own_staff"]
        now = timezone.now()
        old, recent = now - timedelta(days=201), now - timedelta(days=199)
        for at in (old, recent):
            PersonalDataAccess.objects.create(user=staff, kind="reveal", target="x", at=at)
            RefusedAccess.objects.create(user=staff, status=404, path="/", at=at)
            ExportJob.objects.create(
                requester=staff, provider="p", format="csv", state="done", created_at=at
            )
        AccessLog.objects.create(username="u", user_agent="t", http_accept="t")
        AccessLog.objects.filter(username="u").update(attempt_time=old)

        assert audit_expire(now=now) == 4

        assert PersonalDataAccess.objects.get().at == recent
        assert RefusedAccess.objects.count() == ExportJob.objects.count() == 1
        assert not AccessLog.objects.exists()
        run = RetentionRun.objects.get(case_kind="portal.audit")
        assert run.deleted == 4

    @pytest.mark.parametrize(("days", "errors"), [(400, 0), (183, 0), (182, 1), (None, 1)])
    def test_a_retention_under_six_months_is_refused_at_start(self, settings, days, errors):
        settings.AUDIT_RETENTION_DAYS = days
        found = check_audit_retention(None)
        assert len(found) == errors and all(isinstance(e, Error) for e in found)

    def test_the_expiry_runs_on_the_beat(self, settings):
        tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert "portal.tasks.scan_audit_expiry" in tasks
