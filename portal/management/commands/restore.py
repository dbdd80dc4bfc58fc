"""Restore a backup archive into the configured database and uploads folder."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.services.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a `make backup` archive. Refuses a database that is not empty unless "
        "--force is given. Stop the web server and workers first."
    )
    # The database may be empty: nothing to check before the restore fills it.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="the .tar.gz written by `make backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that is not empty (everything in it is lost)",
        )
        parser.add_argument(
            "--with-keys",
            action="store_true",
            help="also restore the ID-number key file, if the archive holds one",
        )

    def handle(self, *args, archive, force=False, with_keys=False, **options):
        try:
            result = backup_restore(
                archive=archive, force=force, with_keys=with_keys, report=self.stdout.write
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        manifest = result.manifest
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {manifest['created_at']} "
                f"({manifest['cases']} cases) from {archive}."
            )
        )
