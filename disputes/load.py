"""Synthetic disputes for benchmarks: a few per generated estate, across categories."""

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from housing.models import Estate

from .models import Category
from .services import intake


@transaction.atomic
def generate(*, scale: int, today: date) -> str:
    """Three disputes for each of the last `scale` generated estates."""
    admin = get_user_model().objects.filter(is_superuser=True).first()
    if admin is None:
        return "no superuser: run load_demo first"
    categories = list(Category.objects.filter(is_active=True))
    estates = Estate.objects.filter(name__startswith="生成小区").select_related("community")
    made = 0
    for n, estate in enumerate(estates.order_by("-pk")[:scale]):
        for k in range(3):
            when = timezone.make_aware(
                datetime.combine(today - timedelta(days=n % 300 + k), time(9))
            )
            intake.dispute_walk_in(
                actor=admin,
                community=estate.community,
                category=categories[(n + k) % len(categories)],
                facts=f"生成纠纷 {estate.name}-{k + 1}",
                applicant=intake.PartyDetails(name=f"生成当事人{n}-{k}"),
                estate=estate,
                now=when,
            )
            made += 1
    return f"{made} disputes"
