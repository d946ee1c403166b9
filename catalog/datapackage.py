"""The whole catalog as a Frictionless data package, read at one moment.

`GET /api/v1/datapackage.zip` and `manage.py export_datapackage` write one CSV per
resource (the rows of its list, by the exports' CSV writer) and a `datapackage.json`
describing them: field types, primary key `slug`, foreign keys by slug, and the sources'
licence note. Everything is read in one transaction (REPEATABLE READ on PostgreSQL), so
the files agree with each other and with the API at one moment.
"""

import json
import tempfile
import zipfile

from django.conf import settings
from django.db import connection, transaction
from django.http import FileResponse
from django.test import RequestFactory
from django.utils import translation
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from catalog.exports import CSVWriter, batched, serialized_rows
from catalog.filters import reject_unknown_params
from catalog.serializers import MonthField, SummaryField
from catalog.views import ErrorsAsJSONMixin

LICENCE_NOTE = (
    "Every fact cites the published documents it comes from (sources.csv: title, "
    "publisher, date, link; each row's `sources` column names them by slug). Those "
    "documents remain under their publishers' own terms; the catalog records facts "
    "drawn from them, not their text. Cite the catalog and the sources of the facts used."
)
FIELD_TYPES = [
    (serializers.BooleanField, "boolean"),
    (serializers.IntegerField, "integer"),
    (serializers.DecimalField, "number"),
    (serializers.FloatField, "number"),
    (serializers.DateTimeField, "datetime"),
    (serializers.DateField, "date"),
]
LEFT_OUT = {"url"}  # API links: they name a host, which a data package should not


def exported_resources():
    """(resource name, viewset) for every catalog resource, in the API's order."""
    from catalog.urls import router
    from catalog.views import CatalogViewSet

    return [
        (prefix, viewset)
        for prefix, viewset, _ in router.registry
        if issubclass(viewset, CatalogViewSet)
    ]


def describe_field(name, field, resources_by_model):
    """The Frictionless field descriptor, and the foreign key it makes, if any."""
    descriptor = {"name": name, "type": "string"}
    if field.help_text:
        descriptor["description"] = str(field.help_text)
    foreign_key = None
    if isinstance(field, SummaryField):
        target = resources_by_model.get(field.queryset.model)
        descriptor["description"] = f"Slug of a row of {target}."
        foreign_key = {"fields": name, "reference": {"resource": target, "fields": "slug"}}
    elif isinstance(field, serializers.ManyRelatedField | serializers.ListSerializer):
        descriptor["description"] = "Slugs (or slug:detail entries) joined with ';'."
    elif isinstance(field, MonthField):
        descriptor["type"] = "yearmonth"
    elif isinstance(field, serializers.ChoiceField):
        descriptor["constraints"] = {"enum": [str(choice) for choice in field.choices]}
    else:
        for kind, frictionless_type in FIELD_TYPES:
            if isinstance(field, kind):
                descriptor["type"] = frictionless_type
                break
    if name == "slug":
        descriptor["constraints"] = {"required": True, "unique": True}
    return descriptor, foreign_key


def write_package(target):
    """Write the data package zip to the binary file `target`, in one consistent read."""
    request = Request(RequestFactory().get("/api/v1/"))
    resources = exported_resources()
    by_model = {viewset.queryset.model: name for name, viewset in resources}
    descriptors = []
    # The package describes itself in English, as the OpenAPI document does, whatever
    # the language of the request that asks for it.
    with (
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
        consistent_read(),
        translation.override(settings.LANGUAGE_CODE),
    ):
        for name, viewset in resources:
            view = viewset(request=request, args=(), kwargs={}, action="list", format_kwarg=None)
            # No request in the context: summaries then name no host (and only their
            # slugs are written anyway); the rows' own API links are left out.
            serializer = viewset.serializer_class(context={})
            for column in LEFT_OUT & set(serializer.fields):
                del serializer.fields[column]
            columns = list(serializer.fields)
            fields, foreign_keys = [], []
            for column in columns:
                descriptor, foreign_key = describe_field(
                    column, serializer.fields[column], by_model
                )
                fields.append(descriptor)
                if foreign_key:
                    if foreign_key["reference"]["resource"] == name:
                        foreign_key["reference"]["resource"] = ""  # a self-reference
                    foreign_keys.append(foreign_key)
            queryset = view.get_queryset().order_by("slug")
            path = f"data/{name}.csv"
            with archive.open(path, "w") as member:
                rows = serialized_rows(serializer, queryset)
                for chunk in batched(CSVWriter(columns, bom=False).lines(rows)):
                    member.write(chunk.encode())
            schema = {"fields": fields, "primaryKey": ["slug"]}
            if foreign_keys:
                schema["foreignKeys"] = foreign_keys
            descriptors.append(
                {
                    "name": name,
                    "path": path,
                    "profile": "tabular-data-resource",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "description": (viewset.__doc__ or "").strip().split("\n")[0],
                    "schema": schema,
                }
            )
        package = {
            "profile": "tabular-data-package",
            "name": "china-smart-vehicle-catalog",
            "title": "Reference catalog of China's smart-vehicle ecosystem",
            "description": (
                "Brands and their groups, cockpit systems, driver-assist stacks, chips, "
                "partners, alliances and reported deliveries, every fact with its sources. "
                "The same rows as the API's lists at one moment."
            ),
            "licenses": [
                {
                    "name": "other-at",
                    "title": "Other (Attribution): cite this catalog and each fact's sources",
                }
            ],
            "sourcesNote": LICENCE_NOTE,
            "resources": descriptors,
        }
        archive.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2))


class consistent_read:
    """One transaction for the whole read; REPEATABLE READ on PostgreSQL, so every table
    is read as it stood when the first was (SQLite's transaction already does this)."""

    def __enter__(self):
        self.atomic = transaction.atomic()
        outermost = not connection.in_atomic_block
        self.atomic.__enter__()
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return self

    def __exit__(self, *exc_info):
        return self.atomic.__exit__(*exc_info)


class ZipRenderer(BaseRenderer):
    media_type = "application/zip"
    format = "zip"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class DataPackageView(ErrorsAsJSONMixin, APIView):
    """The whole catalog as a Frictionless data package: one CSV per resource and
    datapackage.json (field types, primary and foreign keys by slug, licence note), in
    one zip, read at one moment."""

    renderer_classes = [ZipRenderer]

    @extend_schema(
        operation_id="datapackage_retrieve",
        tags=["datapackage"],
        summary="The whole catalog as a Frictionless data package (zip)",
        responses={
            (200, "application/zip"): OpenApiResponse(
                {"type": "string", "format": "binary"},
                description="datapackage.json and data/<resource>.csv for every resource.",
            )
        },
    )
    def get(self, request):
        reject_unknown_params(request, set())
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
        write_package(spool)
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename="china-smart-vehicle-catalog.zip",
            content_type="application/zip",
        )
