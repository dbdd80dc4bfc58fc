"""Where elevator projects keep personal data: the initiator, objections, meetings.

Ballots stay as they are: who cast a household's vote is the project's legal record
(and counted), so only the free text around it is anonymised.
"""

from django.utils.translation import gettext_lazy as _

from portal.personal_data import rows_of_own_cases
from portal.registry import PersonalData, registry


def register() -> None:
    from .models import Meeting, Objection, Project

    kind = "elevators.project"
    registry.add_personal_data(
        PersonalData(
            "elevators.project",
            _("Elevator projects"),
            Project,
            fields=("initiator",),
            case_path="case",
            case_kind=kind,
            owner_rows=rows_of_own_cases(Project),
            download_fields=("case__reference", "stage", "implementing_body"),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "elevators.objection",
            _("Objections"),
            Objection,
            fields=("description", "raised_by"),
            case_path="project__case",
            case_kind=kind,
            owner_rows=lambda user: Objection.objects.filter(raised_by=user),
            download_fields=("project__case__reference", "reason", "description", "raised_at"),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "elevators.meeting",
            _("Project meetings"),
            Meeting,
            fields=("attendees", "minutes", "outcome"),
            case_path="project__case",
            case_kind=kind,
        )
    )
