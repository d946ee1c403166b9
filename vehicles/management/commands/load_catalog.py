from django.core.management.base import BaseCommand, CommandError

from vehicles.seed import SECTIONS, SeedError, fixture_paths, load_catalog


class Command(BaseCommand):
    help = "Load the sourced seed data from fixtures/*.yaml (idempotent, all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Fixture files (default: fixtures/*.yaml).")
        parser.add_argument(
            "--check", action="store_true", help="Validate everything, then roll back."
        )

    def handle(self, *args, paths, check, **options):
        try:
            stats = load_catalog(paths or fixture_paths(), dry_run=check)
        except SeedError as error:
            raise CommandError(str(error)) from None
        for section in SECTIONS:
            counts = stats.get(section.name)
            if counts:
                self.stdout.write(
                    f"{section.name:22} {counts['created']:4} created  "
                    f"{counts['updated']:4} updated  {counts['unchanged']:4} unchanged"
                )
        self.stdout.write(self.style.SUCCESS("Checked (rolled back)." if check else "Loaded."))
