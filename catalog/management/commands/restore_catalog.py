"""Load a backup written by backup_catalog into an empty database, in one transaction.

    manage.py migrate && manage.py restore_catalog catalog-2026-01-31.json
    manage.py restore_catalog --force catalog.json    (replaces the current catalog)

Run it while nothing else writes to the catalog. Users and API tokens are not in a
backup: create them again (createsuperuser, api_token create) after restoring into a
new database.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from catalog.management.commands._backup import BackupError, restore_catalog


class Command(BaseCommand):
    help = "Restore a catalog backup into an empty database (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="IN.json", help="Backup to read; - for stdin.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the catalog already in the database instead of refusing.",
        )

    def handle(self, *args, path, force, **options):
        try:
            if path == "-":
                document = json.load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as backup:
                    document = json.load(backup)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        except json.JSONDecodeError as error:
            raise CommandError(f"{path} is not JSON: {error}.") from None
        try:
            counts = restore_catalog(document, force=force)
        except BackupError as error:
            raise CommandError(f"Nothing restored: {error}") from None
        for label, count in counts.items():
            self.stdout.write(f"{label:32} {count:5}")
        self.stdout.write(self.style.SUCCESS(f"Restored {sum(counts.values())} rows."))
