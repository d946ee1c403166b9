"""A list page's to-many relations read with values(), not prefetched as model instances.

A page of 1,000 rows cites thousands of sources (and a vehicle model's page holds
thousands of chip fittings); building a model instance for each was most of the page's
time. A view names such relations in `page_values` (lookup -> reader; PAGE_VALUES
unless it says otherwise); the pagination reads the page without their prefetch, then
the reader fills each row's prefetch cache with small
objects that carry just the attributes the serializers read, in the prefetch's order, so
the answer is the same byte for byte. Details, writes and exports keep the prefetch.
"""

from catalog.models import Source


class Values:
    """An object with the attributes given, standing in for a model instance."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


class SourceValues(Values):
    _meta = Source._meta  # detail_url reads the model's name


def lookup_path(lookup):
    return getattr(lookup, "prefetch_through", lookup)


def cache(rows, name, links, make):
    """Put in each row's prefetch cache under `name`, as the prefetch would, `make(*values)`
    for each `(row id, *values)` of `links`, in their order ([] for a row with none)."""
    found = {}
    for owner_id, *values in links:
        found.setdefault(owner_id, []).append(make(*values))
    for row in rows:
        row.__dict__.setdefault("_prefetched_objects_cache", {})[name] = found.get(row.pk, [])


def attach_sources(rows):
    """Each row's cited sources, by slug, as SourceSummaryField reads them (one query)."""
    field = type(rows[0])._meta.get_field("sources")
    through = field.remote_field.through
    owner = through._meta.get_field(field.m2m_field_name()).attname
    target = field.m2m_reverse_field_name()
    links = (
        through._base_manager.filter(**{f"{owner}__in": [row.pk for row in rows]})
        .order_by(f"{target}__slug")
        .values_list(owner, *(f"{target}__{name}" for name in Source.summary_fields))
    )

    def source(*values):
        return SourceValues(**dict(zip(Source.summary_fields, values, strict=True)))

    cache(rows, field.name, links, source)


# What a view reads with values() unless it says otherwise (its `page_values`).
PAGE_VALUES = {"sources": attach_sources}


# What a related object's summary ({slug, name, url}) reads of it.
SUMMARY_COLUMNS = {"slug", "name"}


def summaries_only(queryset):
    """The queryset, its joined relations (select_related) loading only the columns a
    summary shows, where the related model has them: a page of 1,000 vehicle models
    otherwise reads and converts every column of 3,000 related rows."""
    joined = queryset.query.select_related
    if not isinstance(joined, dict):
        return queryset
    deferred = []
    for name, beyond in joined.items():
        target = queryset.model._meta.get_field(name).related_model._meta
        columns = {field.name for field in target.concrete_fields}
        # A relation joined further (brand__group) keeps its columns: one deferred could
        # be the key of the next join, which Django refuses.
        if not beyond and columns >= SUMMARY_COLUMNS:
            deferred += [
                f"{name}__{field.name}"
                for field in target.concrete_fields
                if field.name not in SUMMARY_COLUMNS and not field.primary_key
            ]
    return queryset.defer(*deferred) if deferred else queryset


def paginate_with_values(queryset, view, paginate):
    """`paginate(queryset)`'s page, the relations the view names in `page_values` read
    with values() instead of their prefetch, the joined ones only for their summaries."""
    queryset = summaries_only(queryset)
    readers = getattr(view, "page_values", PAGE_VALUES)
    lookups = queryset._prefetch_related_lookups
    read = [lookup for lookup in lookups if lookup_path(lookup) in readers]
    if read:
        kept = [lookup for lookup in lookups if lookup not in read]
        queryset = queryset.prefetch_related(None).prefetch_related(*kept)
    page = paginate(queryset)
    if page:
        for lookup in read:
            readers[lookup_path(lookup)](page)
    return page
