"""Where housing keeps personal data: resident records, households, estate issues."""

from django.utils.translation import gettext_lazy as _

from portal.personal_data import rows_of_own_cases
from portal.registry import PersonalData, registry


def register() -> None:
    from .models import EstateIssue, HouseholdClaim, Person, Residence

    # Resident records outlive any one case: they are not anonymised by the retention
    # task (no case_path); a record of someone who moved out is removed by staff.
    registry.add_personal_data(
        PersonalData(
            "housing.person",
            _("Resident record"),
            Person,
            fields=(
                "name",
                "id_number_encrypted",
                "id_number_hash",
                "id_number_masked",
                "phone",
                "birth_date",
                "gender",
                "ethnicity",
                "ethnicity_reason",
                "care_tags",
                "care_tags_reason",
            ),
            owner_rows=lambda user: Person.objects.filter(user=user),
            download_fields=(
                "name",
                "id_number_masked",
                "phone",
                "birth_date",
                "gender",
                "ethnicity",
                "ethnicity_reason",
                "care_tags",
                "care_tags_reason",
                "community__name",
            ),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "housing.residence",
            _("Households you live in"),
            Residence,
            fields=("person", "household"),
            owner_rows=lambda user: Residence.objects.filter(person__user=user),
            download_fields=(
                "household__unit__building__estate__name",
                "household__unit__building__number",
                "household__unit__number",
                "household__room_number",
                "relation",
            ),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "housing.claim",
            _("Household binding requests"),
            HouseholdClaim,
            fields=("owner_name", "owner_id_last4"),
            owner_rows=lambda user: HouseholdClaim.objects.filter(user=user),
            download_fields=(
                "household__unit__building__estate__name",
                "household__room_number",
                "relation",
                "owner_name",
                "owner_id_last4",
                "state",
            ),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "housing.issue",
            _("Estate issues"),
            EstateIssue,
            fields=("description", "reporter"),
            case_path="case",
            case_kind="housing.issue",
            owner_rows=rows_of_own_cases(EstateIssue),
            download_fields=("case__reference", "estate__name", "category", "description"),
        )
    )
