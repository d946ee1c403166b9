from django.core.management.base import BaseCommand

from catalog.datapackage import write_package


class Command(BaseCommand):
    help = (
        "Write the whole catalog as a Frictionless data package (one CSV per resource and "
        "datapackage.json, in one zip), read at one moment."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The zip file to write, e.g. catalog.zip.")

    def handle(self, *args, path, **options):
        with open(path, "wb") as target:
            write_package(target)
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}."))
