"""The ticket list's export: same scope and masking as the page."""

from portal.models import Case

COLUMNS = (
    ("Reference", lambda case: case.reference),
    ("Subject", lambda case: case.title),
    ("Status", lambda case: case.status),
    ("Filed by", lambda case: case.masked_filer_name),
    ("Phone", lambda case: case.masked_filer_phone),
)


def tickets(user, params):
    cases = Case.objects.visible_to(user).filter(kind="kitapp.ticket").order_by("pk")
    if params.get("status"):
        cases = cases.filter(status=params["status"])
    return cases
