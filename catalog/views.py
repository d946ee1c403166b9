"""The base viewset every resource uses, and the Source resource."""

import hashlib
import json

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from catalog import answers
from catalog.bulk import BulkWriteMixin
from catalog.exceptions import PreconditionFailed
from catalog.exports import ExportMixin
from catalog.filters import CatalogFilterSet, ChoicesFilter
from catalog.models import SLUG_CHARS, ChangeRecord, Source
from catalog.protection import refuse_if_referenced
from catalog.serializers import ChangeRecordSerializer, SourceSerializer


class ErrorsAsJSONMixin:
    """Errors are always JSON, even when CSV (or another format) was asked for.

    OPTIONS is not part of the contract (the OpenAPI document describes every
    operation), so it is answered 405 like any other undeclared method.
    """

    http_method_names = ["get", "post", "put", "patch", "delete", "head"]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(response, "accepted_renderer", None)
        if response.status_code >= 400 and renderer and renderer.format != "json":
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


class KeptAnswersMixin:
    """A GET answered again from memory while the catalog has not changed (catalog.answers):
    after authentication, permissions and throttling, as any request."""

    answer_key = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.answer_key = answers.key_for(request)
        kept_answer = self.answer_key and answers.kept.get(self.answer_key)
        if kept_answer:
            # The handler DRF calls next (a viewset binds its actions the same way).
            self.get = lambda *args, **kwargs: answers.answer_from(kept_answer)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = self.answer_key
        if key and isinstance(response, Response) and response.status_code == 200:
            response.add_post_render_callback(lambda rendered: answers.kept.keep(key, rendered))
        return response


def etag_of(data):
    """A strong validator for a representation: the hash of its canonical JSON."""
    canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return f'"{hashlib.sha256(canonical.encode()).hexdigest()[:40]}"'


class CatalogViewSet(
    BulkWriteMixin, ExportMixin, KeptAnswersMixin, ErrorsAsJSONMixin, viewsets.ModelViewSet
):
    """List, retrieve, create, update, partially update and delete, by slug.

    Every write runs in one transaction: the row, its links and its sources are saved
    together or not at all. A detail carries an ETag; a write that sends `If-Match`
    with a stale ETag is refused with 412, so two editors never silently overwrite
    each other. The row is locked from the check to the save.
    """

    lookup_field = "slug"
    lookup_value_regex = SLUG_CHARS
    unsafe_methods = ("PUT", "PATCH", "DELETE")

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.method in self.unsafe_methods:
            # Within the write's transaction (see update/destroy): no one else can
            # change the row between the If-Match check and the save.
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def get_object(self):
        obj = super().get_object()
        if self.request.method in self.unsafe_methods:
            self.check_if_match(obj)
        return obj

    def check_if_match(self, obj):
        """If-Match: one of the tags (or `*`) must be the row's. If-None-Match on a write
        (RFC 9110, 13.1.2): `*`, or the row's own tag, refuses it, as the row exists."""
        if_match = self.request.headers.get("If-Match")
        if_none_match = self.request.headers.get("If-None-Match")
        if if_match is None and if_none_match is None:
            return
        current = etag_of(self.get_serializer(obj).data)
        if if_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
            if "*" not in tags and current not in tags:
                raise PreconditionFailed()
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            if "*" in tags or current in tags:
                raise PreconditionFailed(
                    gettext(
                        "If-None-Match matched: the resource exists (and has this ETag). "
                        "Nothing was changed."
                    )
                )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A POST the view takes (a create, one row or a list); any other is DRF's 405.
        if request.method == "POST" and self.action == "create":
            given = [name for name in ("If-Match", "If-None-Match") if name in request.headers]
            if given:
                raise ValidationError(
                    {
                        name: [
                            gettext(
                                "Not taken by POST: a new row never overwrites one (a slug "
                                "already used is refused), and rows in a list body are "
                                "written as a whole. To change a row only if unchanged, "
                                "PUT or PATCH it with If-Match."
                            )
                        ]
                        for name in given
                    }
                )

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        # The JSON representation's tag, which If-Match on a write is checked against;
        # any other (CSV, the browsable page) is tagged by its own bytes (middleware), so
        # a JSON tag never makes a CSV answer a 304.
        if request.accepted_renderer.format == "json":
            response["ETag"] = etag_of(response.data)
        return response

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            response = super().update(request, *args, **kwargs)
        response["ETag"] = etag_of(response.data)
        return response

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().destroy(request, *args, **kwargs)

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        with transaction.atomic():
            # A 409 that names every kind of record still pointing at the row (foreign
            # keys and many-to-many links alike), before anything is deleted.
            refuse_if_referenced(instance)
            instance.delete()


class SourceFilterSet(CatalogFilterSet):
    class Meta:
        model = Source
        fields = ["slug", "title", "publisher", "url", "published_on", "accessed_on", "reliability"]


class SourceViewSet(CatalogViewSet):
    """Published documents backing the catalog's facts."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    ordering_fields = ["slug", "title", "publisher", "published_on", "accessed_on"]
    ordering = ["slug"]


CHANGE_OBJECT_TYPES = sorted(
    f"{model._meta.app_label}.{model._meta.model_name}"
    for model in apps.get_models()
    if model._meta.app_label in {"catalog", "partners", "vehicles"} and hasattr(model, "history")
)


class ChangeRecordFilterSet(CatalogFilterSet):
    """Changes by object type, object (slug), actor, channel, action and time."""

    object_type = ChoicesFilter(
        choices=[(name, name) for name in CHANGE_OBJECT_TYPES],
        method="filter_object_type",
        label="app_label.model of the object changed; repeat for OR.",
    )
    aliases = {"object": "object_slug", "actor": "actor_name"}

    class Meta:
        model = ChangeRecord
        fields = ["action", "channel", "at"]

    def filter_object_type(self, queryset, name, value):
        condition = Q()
        for item in value:
            app_label, model = item.split(".")
            condition |= Q(content_type__app_label=app_label, content_type__model=model)
        return queryset.filter(condition)


class ChangeRecordViewSet(KeptAnswersMixin, ErrorsAsJSONMixin, viewsets.ReadOnlyModelViewSet):
    """Every create, change and delete, through the API, the admin or the seed loader."""

    queryset = ChangeRecord.objects.select_related("content_type")
    serializer_class = ChangeRecordSerializer
    filterset_class = ChangeRecordFilterSet
    ordering_fields = ["at", "id"]
    ordering = ["-at", "-id"]
    ordering_tie_breaker = "id"
