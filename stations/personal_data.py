"""Where stations keep personal data: visitors' free-text feedback, and hosts' phones.

Neither belongs to a case, so the retention task leaves them; moderators reject
feedback that names people, and a host's phone is the organisation's contact.
"""

from django.utils.translation import gettext_lazy as _

from portal.registry import PersonalData, registry


def register() -> None:
    from .models import Feedback, Station

    registry.add_personal_data(
        PersonalData("stations.feedback", _("Station feedback"), Feedback, fields=("comment",))
    )
    registry.add_personal_data(
        PersonalData("stations.host_phone", _("Station hosts"), Station, fields=("host_phone",))
    )
