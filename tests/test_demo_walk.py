"""Each demo account opens every URL pattern and none of them errors."""

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, load_all
from portal.models import User
from tests.urlwalk import all_patterns, sample_url

# Views that only take POST: a GET must never run them (405, or 403/404 before that).
POST_ONLY = {
    "logout",
    "portal:text_size",
    "portal:account_reset_password",
    "portal:account_deactivate",
    "portal:account_reactivate",
    "portal:membership_grant",
    "portal:membership_end",
    "portal:case_comment",
    "portal:case_assign",
    "portal:case_close",
    "portal:case_rate",
    "portal:follow_up_done",
    "portal:notification_open",
    "portal:notifications_read",
    "portal:recovery_codes_renew",
    "portal:sessions_end_others",
    "portal:account_two_factor_reset",
    "housing:person_add",
    "housing:person_reveal",
    "housing:person_link",
    "housing:claim_decide",
    "housing:roster_end",
    "housing:desk_visit_record",
    "housing:issue_to_dispute",
    "eldercare:adaptation_assess",
    "eldercare:adaptation_plan",
    "eldercare:adaptation_approve",
    "eldercare:adaptation_works",
    "eldercare:adaptation_accept",
    "eldercare:adaptation_pay",
    "eldercare:adaptation_reject",
    "eldercare:adaptation_survey",
    "eldercare:errand_assign",
    "eldercare:errand_done",
    "eldercare:errand_cancel",
    "eldercare:errand_rate",
    "eldercare:facility_log",
    "eldercare:visit_record",
    "eldercare:contract_end",
    "stations:station_close",
    "stations:station_reopen",
    "stations:feedback_moderate",
    "civility:order_reply",
    "civility:order_recheck",
    "civility:inspection_answer",
    "civility:inspection_finish",
    "civility:finding_resolve",
    "civility:finding_recheck",
}


def objects_for(user) -> dict[str, dict]:
    """URL arguments naming one object of each kind this user can see, by URL-name prefix."""
    account = User.objects.visible_to(user).exclude(pk=user.pk).first() or user
    membership = account.memberships.first()
    from housing.models import (
        DeskVisit,
        Estate,
        EstateIssue,
        Household,
        HouseholdClaim,
        Person,
        RosterEntry,
    )
    from portal.models import Case, FollowUp, Organisation

    def pk(queryset):
        obj = queryset.first()
        return obj.pk if obj else 1

    from disputes.models import Dispute
    from elevators.models import Objection, Project

    case = Case.objects.visible_to(user).first()
    projects = Project.objects.visible_to(user)
    disputes = Dispute.objects.visible_to(user)
    follow_up = FollowUp.objects.for_user(user).first()
    estates = Estate.objects.visible_to(user)
    households = Household.objects.visible_to(user)
    from civility.models import (
        CriteriaSet,
        Finding,
        Inspection,
        OutreachEvent,
        OutreachTeam,
        Site,
        SupervisionOrder,
    )
    from eldercare.models import (
        Adaptation,
        CareAgreement,
        DoctorContract,
        DoctorTeam,
        Errand,
        Facility,
    )
    from stations.models import Feedback, Station

    contracts = DoctorContract.objects.visible_to(user)
    stations = Station.objects.visible_to(user)
    return {
        "civility:criteria_detail": {"pk": pk(CriteriaSet.objects.visible_to(user))},
        "civility:site_": {"pk": pk(Site.objects.visible_to(user))},
        "civility:inspection_": {"pk": pk(Inspection.objects.visible_to(user))},
        "civility:finding_": {"pk": pk(Finding.objects.visible_to(user))},
        "civility:order_": {"pk": pk(SupervisionOrder.objects.visible_to(user))},
        "civility:event_": {"pk": pk(OutreachEvent.objects.visible_to(user))},
        "civility:team_": {"pk": pk(OutreachTeam.objects.visible_to(user))},
        "stations:feedback_": {"pk": pk(Feedback.objects.visible_to(user))},
        # The public pages show any station; the staff pages one in scope.
        "stations:station_": {"pk": pk(stations)},
        "stations:": {"pk": pk(stations.exists() and stations or Station.objects.all())},
        "eldercare:adaptation_": {"pk": pk(Adaptation.objects.visible_to(user))},
        "eldercare:errand_": {"pk": pk(Errand.objects.visible_to(user))},
        "eldercare:facility_": {"pk": pk(Facility.objects.visible_to(user))},
        "eldercare:agreement_": {"pk": pk(CareAgreement.objects.visible_to(user))},
        "eldercare:team_": {"pk": pk(DoctorTeam.objects.visible_to(user))},
        "eldercare:contract_": {"pk": pk(contracts)},
        "eldercare:visit_": {"pk": pk(contracts)},
        "elevators:objection_": {"pk": pk(Objection.objects.filter(project__in=projects))},
        "elevators:": {"pk": pk(projects), "kind": "construction"},
        "disputes:": {"pk": pk(disputes)},
        "housing:estate_": {"pk": pk(estates)},
        "housing:roster_add": {"pk": pk(estates)},
        "housing:review_add": {"pk": pk(estates)},
        "housing:desk_visit_new": {"pk": pk(estates)},
        "housing:household_": {"pk": pk(households)},
        "housing:person_add": {"pk": pk(households)},
        "housing:person_": {"pk": pk(Person.objects.visible_to(user))},
        "housing:desk_visit_": {"pk": pk(DeskVisit.objects.visible_to(user))},
        "housing:roster_end": {"pk": pk(RosterEntry.objects.filter(estate__in=estates))},
        "housing:company_detail": {"pk": pk(Organisation.objects.filter(type="property_company"))},
        "housing:claim_decide": {"pk": pk(HouseholdClaim.objects.filter(household__in=households))},
        "housing:issue_to_dispute": {"pk": pk(EstateIssue.objects.visible_to(user))},
        "portal:case_": {"pk": case.pk if case else 1},
        "portal:audit_case_history": {"pk": case.pk if case else 1},
        "portal:follow_up_": {"pk": follow_up.pk if follow_up else 1},
        "portal:account_": {"pk": account.pk},
        "portal:membership_": {"pk": account.pk, "membership": membership and membership.pk},
    }


def arguments(name: str, samples: dict[str, dict]) -> dict:
    for prefix, kwargs in samples.items():
        if name.startswith(prefix):
            return kwargs
    return {}


@pytest.fixture
def demo_accounts(db):
    from portal.models import Area
    from tests.kitapp.services import ticket_open

    accounts = load_all(today=timezone.localdate())
    resident = User.objects.get(username="resident.wangpeng")
    ticket_open(
        actor=resident,
        community=Area.objects.get(name="团结社区"),
        title="demo ticket",
        filed_by=resident,
    )
    return accounts


def test_every_demo_account_opens_every_page_without_an_error(client, demo_accounts):
    assert demo_accounts
    failures = []
    for account in demo_accounts:
        response = client.post(
            reverse("login"), {"username": account.username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, account
        user = User.objects.get(username=account.username)
        samples = objects_for(user)
        for name, pattern in all_patterns():
            response = client.get(sample_url(name, pattern, arguments(name, samples)))
            if response.status_code >= 500 or (
                name in POST_ONLY and response.status_code not in (403, 404, 405)
            ):
                failures.append((account.username, name, response.status_code))
        client.logout()

    assert failures == []
