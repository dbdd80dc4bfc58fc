"""List open work still held by deactivated accounts; exit 1 when there is any."""

import sys

from django.core.management.base import BaseCommand

from portal.audit import account_label
from portal.services.handover import leftovers


class Command(BaseCommand):
    help = "List open work (cases, follow-ups, assignments) held by deactivated accounts."

    def handle(self, *args, **options):
        found = leftovers()
        if not found:
            self.stdout.write("No open work is held by a deactivated account.")
            return
        for leftover in found:
            user = leftover.user
            self.stdout.write(
                f"{user.pk}\t{account_label(user)}\t{leftover.name}\t{leftover.count}"
            )
        self.stderr.write(
            f"{len({f.user.pk for f in found})} deactivated account(s) still hold open work: "
            "hand it over from the account's page."
        )
        sys.exit(1)
