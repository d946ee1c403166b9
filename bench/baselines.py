"""What the API is measured against: the same rows and fields, read and written by hand.

- Hello-world DRF views: one with no authentication, permissions or throttling (served
  with no middleware by bench.settings_bare), one with the project's defaults.
- For every list and detail, a plain Django view that reads the resource's rows with
  `.values()` (related summaries and to-many lists with one more `.values()` each, as
  the API's prefetches do) and writes them with orjson: no serializer, no FilterSet.
- For the delivery series, one raw SQL GROUP BY giving the same numbers.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from django.db import connection
from django.http import Http404, HttpResponse
from rest_framework import serializers as drf_serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.urls import router


class BareHelloView(APIView):
    """DRF with nothing of the project's: the ceiling for throughput."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def get(self, request):
        return Response({"hello": "world"})


class ProjectHelloView(APIView):
    """The same view with the project's default authentication, permissions, throttling."""

    def get(self, request):
        return Response({"hello": "world"})

    def get_permissions(self):
        return []  # the project's permission needs a model; reading is open anyway


@dataclass
class Spec:
    """How to read one resource's representation with values()."""

    model: type
    ordering: list
    columns: list = field(default_factory=list)  # values() columns
    shape: list = field(default_factory=list)  # (name, kind, detail)
    many: dict = field(default_factory=dict)  # name -> (queryset, owner column, keys)


def display_name(model):
    names = {f.name for f in model._meta.get_fields()}
    return "name" if "name" in names else ("title" if "title" in names else "slug")


def spec_for(viewset):
    model = viewset.queryset.model
    serializer = viewset.serializer_class()
    spec = Spec(model=model, ordering=list(viewset.ordering or model._meta.ordering))
    spec.columns.append("id")
    for name, declared in serializer.fields.items():
        source = declared.source
        if name == "url":
            spec.columns.append("slug")
            spec.shape.append((name, "url", model._meta.model_name))
        elif isinstance(declared, drf_serializers.ListSerializer):
            relation = model._meta.get_field(source)
            child = relation.related_model
            owner = relation.field.name
            keys = []
            for child_name, child_field in declared.child.fields.items():
                if isinstance(child_field, drf_serializers.RelatedField):
                    target = child_field.queryset.model
                    keys += [f"{child_name}__slug", f"{child_name}__{display_name(target)}"]
                else:
                    keys.append(child_name)
            rows = child.objects.values(f"{owner}_id", *keys)
            spec.many[name] = (rows, f"{owner}_id", keys)
            spec.shape.append((name, "many", keys))
        elif isinstance(declared, drf_serializers.ManyRelatedField):
            relation = model._meta.get_field(source)
            target = relation.related_model
            if target._meta.model_name == "source":
                keys = ["slug", "title", "publisher", "published_on", "url"]
            else:
                keys = ["slug", display_name(target)]
            through = relation.remote_field.through
            owner = next(
                f.name for f in through._meta.fields if f.related_model is model and f.name != "id"
            )
            other = next(
                f.name
                for f in through._meta.fields
                if f.related_model is target and f.name != owner
            )
            rows = through.objects.values(f"{owner}_id", *[f"{other}__{key}" for key in keys])
            spec.many[name] = (rows, f"{owner}_id", [f"{other}__{key}" for key in keys])
            spec.shape.append((name, "many", [f"{other}__{key}" for key in keys]))
        elif source == "role_list":
            rows = model._meta.get_field("roles").related_model.objects.values("company_id", "role")
            spec.many[name] = (rows, "company_id", ["role"])
            spec.shape.append((name, "many", ["role"]))
        elif isinstance(declared, drf_serializers.RelatedField):
            target = model._meta.get_field(source).related_model
            slug, label = f"{source}__slug", f"{source}__{display_name(target)}"
            spec.columns += [slug, label]
            spec.shape.append((name, "summary", (slug, label, target._meta.model_name)))
        else:
            concrete = {f.name for f in model._meta.concrete_fields}
            if source not in concrete:
                continue  # computed by the serializer: not read here
            spec.columns.append(source)
            spec.shape.append((name, "value", source))
    return spec


PREFIX_OF = {
    viewset.queryset.model._meta.model_name: prefix for prefix, viewset, _ in router.registry
}
SPECS = {
    prefix: spec_for(viewset)
    for prefix, viewset, _ in router.registry
    if getattr(viewset, "serializer_class", None) is not None and prefix != "changes"
}


def default(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def represent(spec, rows, base):
    ids = [row["id"] for row in rows]
    extra = {}
    for name, (queryset, owner, keys) in spec.many.items():
        grouped = defaultdict(list)
        for item in queryset.filter(**{f"{owner}__in": ids}):
            grouped[item[owner]].append([item[key] for key in keys])
        extra[name] = grouped
    results = []
    for row in rows:
        item = {}
        for name, kind, detail in spec.shape:
            if kind == "url":
                item[name] = f"{base}/api/v1/{PREFIX_OF[detail]}/{row['slug']}/"
            elif kind == "value":
                item[name] = row[detail]
            elif kind == "summary":
                slug, label, model_name = detail
                item[name] = (
                    None
                    if row[slug] is None
                    else {
                        "slug": row[slug],
                        "name": row[label],
                        "url": f"{base}/api/v1/{PREFIX_OF.get(model_name)}/{row[slug]}/",
                    }
                )
            else:
                item[name] = [
                    dict(zip(detail, values, strict=True)) for values in extra[name][row["id"]]
                ]
        results.append(item)
    return results


def json_response(data):
    return HttpResponse(
        orjson.dumps(data, default=default, option=orjson.OPT_NON_STR_KEYS),
        content_type="application/json",
    )


def values_list_view(request, prefix):
    spec = SPECS.get(prefix)
    if spec is None:
        raise Http404
    limit = int(request.GET.get("limit", 50))
    offset = int(request.GET.get("offset", 0))
    queryset = spec.model.objects.order_by(*spec.ordering)
    count = queryset.count()
    rows = list(queryset[offset : offset + limit].values(*spec.columns))
    base = request.build_absolute_uri("/")[:-1]
    return json_response(
        {
            "count": count,
            "next": None,
            "previous": None,
            "results": represent(spec, rows, base),
        }
    )


def values_detail_view(request, prefix, slug):
    spec = SPECS.get(prefix)
    if spec is None:
        raise Http404
    rows = list(spec.model.objects.filter(slug=slug).values(*spec.columns))
    if not rows:
        raise Http404
    return json_response(represent(spec, rows, request.build_absolute_uri("/")[:-1])[0])


SERIES_SQL = {
    "alliance": """
        SELECT a.slug, a.name, date_trunc(%(period)s, d.month)::date AS start,
               SUM(d.units), COUNT(DISTINCT d.month), COUNT(DISTINCT d.brand_id),
               COUNT(*) FILTER (WHERE d.precision = 'lower_bound'),
               COUNT(*) FILTER (WHERE d.precision = 'approximate'),
               COUNT(*) FILTER (WHERE d.computed)
        FROM vehicles_delivery d JOIN partners_alliance a ON a.id = d.alliance_id
        WHERE d.brand_id IS NULL AND d.month >= %(first)s
        GROUP BY 1, 2, 3 ORDER BY 1, 3
    """,
    "brand": """
        WITH figures AS (
            SELECT DISTINCT ON (brand_id, month) brand_id, month, units, precision, computed
            FROM vehicles_delivery
            WHERE brand_id IS NOT NULL AND month >= %(first)s
            ORDER BY brand_id, month, alliance_id IS NOT NULL, id
        )
        SELECT b.slug, b.name, date_trunc(%(period)s, f.month)::date AS start,
               SUM(f.units), COUNT(DISTINCT f.month), COUNT(DISTINCT f.brand_id),
               COUNT(*) FILTER (WHERE f.precision = 'lower_bound'),
               COUNT(*) FILTER (WHERE f.precision = 'approximate'),
               COUNT(*) FILTER (WHERE f.computed)
        FROM figures f JOIN vehicles_brand b ON b.id = f.brand_id
        GROUP BY 1, 2, 3 ORDER BY 1, 3
    """,
}
SERIES_SQL["group"] = SERIES_SQL["brand"].replace(
    "JOIN vehicles_brand b ON b.id = f.brand_id",
    "JOIN vehicles_brand v ON v.id = f.brand_id JOIN partners_company b ON b.id = v.group_id",
)


def sql_delivery_series_view(request):
    """The delivery series' numbers from one GROUP BY (PostgreSQL)."""
    group_by = request.GET.get("group_by", "alliance")
    first = request.GET.get("month__gte", "1900-01")
    with connection.cursor() as cursor:
        cursor.execute(
            SERIES_SQL[group_by],
            {"period": request.GET.get("period", "month"), "first": f"{first}-01"},
        )
        rows = cursor.fetchall()
    keys = ["slug", "name", "start", "units", "months", "brands", "lower", "approx", "computed"]
    return json_response({"results": [dict(zip(keys, row, strict=True)) for row in rows]})
