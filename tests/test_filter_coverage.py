"""Every model field of every list endpoint has its filter and the lookups of its kind.

A field added to a model without its filters fails here, with the parameters it lacks,
instead of waiting for someone to notice that `?field=` is refused. Fields that are
deliberately not filterable are listed below, each with the reason.
"""

import django_filters
import pytest

from catalog.filters import RANGE_LOOKUPS, TEXT_LOOKUPS, BoolFilter, SlugFilter, kind_of
from catalog.urls import router
from catalog.views import SourceFilterSet
from partners.models import Company

# Fields no list filters, on whichever model has them.
NOT_FILTERED_ANYWHERE = {
    # Row bookkeeping: the API identifies rows by slug, and the change log (/changes/)
    # answers "what changed when".
    "id": "internal key; rows are addressed by slug",
    "created": "bookkeeping; /changes/ filters by time",
    "updated": "bookkeeping; /changes/ filters by time",
    # Long free text and links: read, not queried.
    "description": "free prose",
    "note": "free prose",
    "ownership_note": "free prose",
    "website": "a link to read, not a value to select by",
    # Every fact cites sources; the list of a fact's sources is shown, not filtered on.
    "sources": "citations",
}

# Fields of one model that its list deliberately filters some other way.
NOT_FILTERED_HERE = {
    "catalog.changerecord": {
        "content_type": "filtered as object_type (app_label.model)",
        "object_id": "internal key of the changed row; filtered by its slug (object)",
        "object_repr": "a label frozen at the time of the change; searched with q",
        "changed_fields": "JSON of the changed values",
        "actor": "filtered by the actor's name (actor), which outlives the account",
    },
}

ENDPOINTS = [(prefix, viewset) for prefix, viewset, _ in router.registry]


def model_fields(model):
    """The fields a row holds: concrete columns and many-to-many links, not reverse ones."""
    return [
        field
        for field in model._meta.get_fields()
        if field.concrete or (field.many_to_many and not field.auto_created)
    ]


def exempt(model, field):
    return field.name in NOT_FILTERED_ANYWHERE or field.name in NOT_FILTERED_HERE.get(
        model._meta.label_lower, {}
    )


def parameter_of(filters, field):
    """The parameter that selects rows by this field's values (its own name first)."""
    candidates = [
        name
        for name, declared in filters.items()
        if declared.field_name == field.name
        and not declared.exclude
        and declared.lookup_expr == "exact"
        and declared.method is None
        and (not field.is_relation or isinstance(declared, SlugFilter))
    ]
    return field.name if field.name in candidates else next(iter(candidates), None)


def expected_lookups(filterset_class, field, param):
    """{parameter: (lookup_expr, exclude)} that a field of this kind must have."""
    expected = {}
    if field.is_relation:
        expected[f"{param}__n"] = ("exact", True)
    else:
        kind = "month" if param in filterset_class.month_fields else kind_of(field)
        if kind != "bool":
            expected[f"{param}__n"] = ("exact", True)
        if kind == "text":
            expected |= {
                f"{param}__{suffix}": (lookup, False) for suffix, lookup in TEXT_LOOKUPS.items()
            }
        elif kind in ("int", "decimal", "date", "month", "datetime"):
            expected |= {f"{param}__{lookup}": (lookup, False) for lookup in RANGE_LOOKUPS}
    if getattr(field, "null", False):
        expected[f"{param}__isnull"] = ("isnull", False)
    return expected


def missing_filters(filterset_class, model):
    """What the FilterSet lacks, one line per missing or mistargeted parameter."""
    filters = filterset_class.base_filters
    missing = []
    for field in model_fields(model):
        if exempt(model, field):
            continue
        param = parameter_of(filters, field)
        if param is None:
            missing.append(f"{field.name}: no filter")
            continue
        for name, (lookup, exclude) in expected_lookups(filterset_class, field, param).items():
            declared = filters.get(name)
            if declared is None:
                missing.append(f"{name}: missing")
            elif (declared.field_name, declared.lookup_expr, declared.exclude) != (
                field.name,
                lookup,
                exclude,
            ) or (lookup == "isnull" and not isinstance(declared, BoolFilter)):
                missing.append(f"{name}: not {lookup} on {field.name}")
    return missing


@pytest.mark.parametrize(("prefix", "viewset"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_every_field_of_a_list_can_be_filtered_with_the_lookups_of_its_kind(prefix, viewset):
    model = viewset.queryset.model
    assert viewset.filterset_class._meta.model is model
    assert missing_filters(viewset.filterset_class, model) == []


def test_a_field_or_relation_left_out_of_a_filterset_is_named():
    class WithoutPublisher(SourceFilterSet):
        class Meta(SourceFilterSet.Meta):
            fields = [name for name in SourceFilterSet.Meta.fields if name != "publisher"]

    class WithoutParent(django_filters.FilterSet):
        class Meta:
            model = Company
            fields = []

    assert missing_filters(WithoutPublisher, WithoutPublisher._meta.model) == [
        "publisher: no filter"
    ]
    without_parent = missing_filters(WithoutParent, Company)
    assert "parent: no filter" in without_parent
    assert "country: no filter" in without_parent


def test_a_lookup_missing_or_on_another_field_is_named():
    class ExactTitleOnly(SourceFilterSet):
        pass

    filters = dict(SourceFilterSet.base_filters)
    for suffix in ("ic", "n"):
        del filters[f"title__{suffix}"]
    del filters["published_on__gte"]
    filters["title__isw"] = filters["publisher__isw"]
    ExactTitleOnly.base_filters = filters
    assert missing_filters(ExactTitleOnly, SourceFilterSet._meta.model) == [
        "title__n: missing",
        "title__ic: missing",
        "title__isw: not istartswith on title",
        "published_on__gte: missing",
    ]


def test_every_exemption_names_a_field_a_list_has():
    fields = {
        (viewset.queryset.model, field.name)
        for _, viewset in ENDPOINTS
        for field in model_fields(viewset.queryset.model)
    }
    names = {name for _, name in fields}
    assert set(NOT_FILTERED_ANYWHERE) <= names
    labels = {model._meta.label_lower: model for model, _ in fields}
    for label, exemptions in NOT_FILTERED_HERE.items():
        assert {name for model, name in fields if model is labels[label]} >= set(exemptions)


@pytest.mark.parametrize(("prefix", "viewset"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_the_admins_search_box_looks_where_the_apis_q_does(prefix, viewset, rf, admin_user):
    """Staff searching the admin and researchers searching the API find by the same fields,
    declared once on the model."""
    from django.contrib import admin

    model = viewset.queryset.model
    request = rf.get("/admin/")
    request.user = admin_user
    searched = admin.site._registry[model].get_search_fields(request)
    assert list(searched[: len(model.search_fields)]) == list(model.search_fields)


def test_q_finds_a_brand_by_its_group_as_the_admin_does(world, client, admin_client):
    api = client.get("/api/v1/brands/?q=赛力斯").json()["results"]
    page = admin_client.get("/admin/vehicles/brand/", {"q": "赛力斯"})
    assert [row["slug"] for row in api] == ["aito"]
    assert list(page.context["cl"].result_list.values_list("slug", flat=True)) == ["aito"]
