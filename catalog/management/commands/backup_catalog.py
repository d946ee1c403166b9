"""Write the whole catalog to a JSON file, linked by slugs (see _backup.py).

    manage.py backup_catalog catalog-2026-01-31.json
    manage.py backup_catalog - > catalog.json

Not included: the change history and API tokens (credentials are not catalog data).
"""

import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.management.commands._backup import BackupError, write_catalog


class Command(BaseCommand):
    help = "Back up the catalog to a JSON file (restore it with restore_catalog)."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="OUT.json", help="File to write; - for stdout.")

    def handle(self, *args, path, **options):
        try:
            if path == "-":
                write_catalog(sys.stdout)
                return
            count = write_atomically(Path(path), write_catalog)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(f"Wrote {count} rows to {path}.")


def write_atomically(path, write):
    """Replace `path` only once the new file is complete: a failed backup keeps the old one.
    `write(file)` writes the text; its answer is returned."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            answer = write(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return answer
