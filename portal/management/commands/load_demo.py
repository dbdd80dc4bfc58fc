"""Load the demo places, people and cases: every app's registered demo loader."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, load_all


class Command(BaseCommand):
    help = "Load demo data through every registered demo loader, in dependency order."

    def handle(self, *args, **options):
        accounts = load_all(
            today=timezone.localdate(), report=lambda name: self.stdout.write(f"loaded {name}")
        )
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password {DEMO_PASSWORD}):"))
        for account in accounts:
            where = f"  {account.where}" if account.where else ""
            self.stdout.write(f"  {account.username:<28} {account.role}{where}")
