"""Where civility keeps personal data: little, since it inspects places and units.

Inspection notes and order replies may still name people, so they are anonymised with
their case; civility cases are never a resident's own, so nothing goes in a download.
"""

from django.utils.translation import gettext_lazy as _

from portal.registry import PersonalData, registry


def register() -> None:
    from .models import SupervisionOrder

    registry.add_personal_data(
        PersonalData(
            "civility.order",
            _("Supervision orders"),
            SupervisionOrder,
            fields=("requirements", "reply", "replied_by"),
            case_path="case",
            case_kind="civility.order",
        )
    )
