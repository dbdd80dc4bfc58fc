"""Where eldercare keeps personal data: home adaptations and errands."""

from django.utils.translation import gettext_lazy as _

from portal.personal_data import rows_of_own_cases
from portal.registry import PersonalData, registry


def register() -> None:
    from .models import Adaptation, Errand

    # The elder stays linked (a protected link to the resident record, counted by the
    # dashboards); what was written about their home goes.
    registry.add_personal_data(
        PersonalData(
            "eldercare.adaptation",
            _("Home adaptations"),
            Adaptation,
            fields=("home_assessment", "acceptance_record", "rejection_reason", "survey_comment"),
            case_path="case",
            case_kind="eldercare.adaptation",
            owner_rows=rows_of_own_cases(Adaptation),
            download_fields=(
                "case__reference",
                "stage",
                "eligibility",
                "home_assessment",
                "rejection_reason",
                "survey_comment",
            ),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "eldercare.errand",
            _("Errands"),
            Errand,
            fields=("person", "details", "address", "done_note"),
            case_path="case",
            case_kind="eldercare.errand",
            owner_rows=rows_of_own_cases(Errand),
            download_fields=("case__reference", "service", "details", "address", "done_note"),
        )
    )
