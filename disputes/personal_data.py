"""Where the clinic keeps personal data: parties, what happened, sessions, agreements."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.personal_data import rows_of_own_cases
from portal.registry import PersonalData, registry


def register() -> None:
    from .models import (
        Agreement,
        Concern,
        Dispute,
        Extension,
        Party,
        Referral,
        ReturnVisit,
        Session,
    )

    kind = "disputes.dispute"
    registry.add_personal_data(
        PersonalData(
            "disputes.dispute",
            _("Disputes"),
            Dispute,
            fields=("place", "facts"),
            case_path="case",
            case_kind=kind,
            owner_rows=rows_of_own_cases(Dispute),
            download_fields=("case__reference", "category__name", "channel", "place", "facts"),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "disputes.party",
            _("Parties to disputes"),
            Party,
            fields=("name", "phone", "person", "user"),
            case_path="dispute__case",
            case_kind=kind,
            anonymise={"phone": ""},
            # Only the resident's own party rows: the other side's name and phone are theirs.
            owner_rows=lambda user: Party.objects.filter(Q(user=user) | Q(person__user=user)),
            download_fields=("dispute__case__reference", "role", "name", "phone"),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "disputes.agreement",
            _("Mediation agreements"),
            Agreement,
            fields=("facts", "responsibilities", "terms"),
            case_path="dispute__case",
            case_kind=kind,
            owner_rows=rows_of_own_cases(Agreement, "dispute__case"),
            download_fields=("dispute__case__reference", "number", "form", "terms"),
        )
    )
    for name, label, model, fields in [
        ("disputes.session", _("Mediation sessions"), Session, ("place", "minutes")),
        ("disputes.return_visit", _("Return visits"), ReturnVisit, ("note",)),
        ("disputes.referral", _("Referrals"), Referral, ("party", "reason", "outcome")),
        ("disputes.extension", _("Extensions"), Extension, ("consent",)),
    ]:
        registry.add_personal_data(
            PersonalData(
                name, label, model, fields=fields, case_path="dispute__case", case_kind=kind
            )
        )
    registry.add_personal_data(
        PersonalData(
            "disputes.concern",
            _("Concerns"),
            Concern,
            fields=("raised_at_event", "description", "answer"),
            case_path="case",
            case_kind="disputes.concern",
            owner_rows=rows_of_own_cases(Concern),
            download_fields=("case__reference", "description", "answer"),
        )
    )
