"""Demo data of the portal itself; each app's loader is registered the same way.

A loader takes keyword-only `today` (dates in demo data are relative to it) and
returns the demo accounts it made sure exist, so `load_demo` can print them. Loaders
are idempotent: running them twice changes nothing.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_PASSWORD = "portal-demo"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    where: str = ""


def ensure_demo_user(username: str, **fields):
    """The demo user `username`, created with the demo password if missing."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def load_accounts(*, today: date) -> list[DemoAccount]:
    """The superuser `admin`."""
    ensure_demo_user("admin", display_name="Administrator", is_staff=True, is_superuser=True)
    return [DemoAccount("admin", "superuser")]


def load_all(*, today: date, report=None) -> list[DemoAccount]:
    """Run every registered demo loader in dependency order; the accounts they ensured."""
    from .registry import registry, run_steps

    accounts: list[DemoAccount] = []
    for step, result in run_steps(registry.demo_loaders, today=today):
        if report:
            report(step.name)
        accounts.extend(result or [])
    return accounts
