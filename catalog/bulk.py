"""Bulk create and update through the API: a list body POSTed to a list endpoint.

Partner apps push many rows of one resource in one request. Each item is what a single
POST (a new row) or PUT (an item whose `slug` is stored: that row, replaced) would take,
validated the same way. The request is all or nothing: if any item is refused, nothing
is written and the 400 names each refused item by its position in the list
(`errors["3"]` for the fourth item). Items are applied in order, so two items about the
same fact clash as two requests would. Updating needs the change permission as well.
"""

from django.db import transaction
from django.utils.translation import gettext
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from catalog.filters import reject_unknown_params

# The most items one request may carry (the body's byte limit applies as well).
BULK_MAX_ITEMS = 500


class BulkWriteMixin:
    """POST a JSON list to create or update many rows in one transaction (see module)."""

    bulk_max_items = BULK_MAX_ITEMS

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        serializer = cls.__dict__.get("serializer_class")
        if serializer is None:
            return
        name = serializer.__name__.removesuffix("Serializer")
        body = PolymorphicProxySerializer(
            component_name=f"{name}OneOrMany",
            serializers=[serializer, serializer(many=True)],
            resource_type_field_name=None,
            many=False,
        )
        inherited = cls.create

        # A function of this class's own: extend_schema marks the function it decorates.
        def create(self, request, *args, **kwargs):
            return inherited(self, request, *args, **kwargs)

        cls.create = extend_schema(
            request=body,
            responses={201: body, 200: serializer(many=True)},
            description=(
                "Send one object to create one row, or a list of up to "
                f"{BULK_MAX_ITEMS} objects to create or update many in one transaction: "
                "an item whose `slug` is stored replaces that row (as PUT does; it needs "
                "the change permission too), any other item is created. All or nothing: "
                "a refused item refuses the request, with its errors under its position "
                'in the list (`errors["3"]` is the fourth item). 201 when every item '
                "was created, 200 when some were updated; the body lists the rows in "
                "the order sent."
            ),
        )(create)

    def create(self, request, *args, **kwargs):
        # A create takes its data from the body: a query parameter (a filter or a page
        # size sent by mistake) would be silently ignored, so it is refused.
        reject_unknown_params(request, {"format"})
        if not isinstance(request.data, list):
            return super().create(request, *args, **kwargs)
        items = request.data
        if not items:
            raise ValidationError({"non_field_errors": [gettext("Send at least one item.")]})
        if len(items) > self.bulk_max_items:
            raise ValidationError(
                {
                    "non_field_errors": [
                        gettext("Send at most %(count)s items at once.")
                        % {"count": self.bulk_max_items}
                    ]
                }
            )
        model = self.get_queryset().model
        slugs = [item.get("slug") for item in items if isinstance(item, dict)]
        errors, saved, updated = {}, [], False
        with transaction.atomic():
            # The stored rows are read locked, in the write's transaction: one deleted or
            # changed meanwhile is seen as it now is (a deleted one made again as new,
            # never written back under its old id, nor compared as it was).
            stored = {
                obj.slug: obj
                for obj in self.get_queryset()
                .select_for_update(of=("self",))
                .filter(slug__in=[s for s in slugs if isinstance(s, str)])
            }
            if stored:
                permission = f"{model._meta.app_label}.change_{model._meta.model_name}"
                if not request.user.has_perm(permission):
                    raise PermissionDenied(
                        gettext("Updating stored rows needs the change permission.")
                    )
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    errors[str(index)] = {"non_field_errors": [gettext("Expected an object.")]}
                    continue
                slug = item.get("slug")
                # A slug that is not a string names no stored row; the item's own
                # validation says what is wrong with it.
                instance = stored.get(slug) if isinstance(slug, str) else None
                serializer = self.get_serializer(instance, data=item)
                if not serializer.is_valid():
                    errors[str(index)] = serializer.errors
                    continue
                with transaction.atomic():
                    serializer.save()
                updated |= instance is not None
                saved.append(serializer.data)
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise ValidationError(errors)
        return Response(saved, status=status.HTTP_200_OK if updated else status.HTTP_201_CREATED)
