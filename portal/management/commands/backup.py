"""Write one backup archive: the database, the uploaded files and a manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.services.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database and uploaded files into one .tar.gz (readable by its owner "
        "only; it holds personal data)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="a .tar.gz file, or a folder to write into (default: BACKUP_DIR, var/backups)",
        )
        parser.add_argument(
            "--with-keys",
            action="store_true",
            help="also store the key file that encrypts ID numbers (keep such archives apart)",
        )

    def handle(self, *args, output=None, with_keys=False, **options):
        try:
            result = backup_create(output=output, with_keys=with_keys, report=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        manifest = result.manifest
        self.stdout.write(
            f"{manifest['cases']} cases, database {manifest['database_engine']}, "
            f"uploads {'included' if manifest['media_included'] else 'not included'}, "
            f"key {'included' if manifest['key_included'] else 'not included'}."
        )
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write(self.style.SUCCESS(f"Backup written to {result.path}"))
