from django.db import transaction

from portal.services.cases import case_open

from .models import Ticket


@transaction.atomic
def ticket_open(*, actor, community, title, category="general", **case_fields) -> Ticket:
    """A ticket: the kit opens the case, the app adds its own row."""
    case = case_open(
        kind="kitapp.ticket", actor=actor, community=community, title=title, **case_fields
    )
    return Ticket.objects.create(case=case, category=category)
