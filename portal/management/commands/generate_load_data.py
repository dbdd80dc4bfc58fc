"""Generate synthetic data at any size, for benchmarks: every app's load generator."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.registry import registry, run_steps


class Command(BaseCommand):
    help = "Generate synthetic data through every registered load generator."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=10,
            help="Size: roughly the number of estates (default 10).",
        )

    def handle(self, *args, scale, **options):
        today = timezone.localdate()
        for step, result in run_steps(registry.load_generators, scale=scale, today=today):
            self.stdout.write(f"{step.name}: {result}")
