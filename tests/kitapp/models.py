from django.db import models

from portal.models import Case
from portal.querysets import CaseKindQuerySet


class TicketQuerySet(CaseKindQuerySet):
    scope_kind = "kitapp.ticket"


class Ticket(models.Model):
    """A ticket: the case kit's fields live on `case`; only the category is its own."""

    class Status(models.TextChoices):
        NEW = "new", "new"
        WORKING = "working", "working"
        SOLVED = "solved", "solved"
        REJECTED = "rejected", "rejected"

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    category = models.CharField(max_length=50)

    objects = TicketQuerySet.as_manager()

    def __str__(self):
        return str(self.case)
