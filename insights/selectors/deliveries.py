"""Delivered units over time, by alliance, brand or carmaker group: /insights/deliveries/.

A fixed number of queries: the database ranks, sums and counts the figures by series and
period (one GROUP BY); Python lays the sums out as periods, in the answer's own terms.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F
from django.utils.translation import gettext

from catalog.serializers import summary_of
from catalog.values import format_month
from vehicles.models import Brand, Delivery, DeliveryGap, DeliveryTotal, Precision
from vehicles.selectors import (
    first_brand_figures,
    months_before,
    preferred_brand_figures,
    today,
)

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
# The values, read once (an enum member's .value is a descriptor call each time).
LOWER_BOUND, APPROXIMATE = Precision.LOWER_BOUND.value, Precision.APPROXIMATE.value
EXACT = Precision.EXACT.value
FIGURES_USED = {
    "alliance": "Alliance totals (figures with no brand). Brand figures are not added to them.",
    "brand": "Brand figures, one per brand and month: a stand-alone figure is preferred to one "
    "reported within an alliance; alliance totals are not used.",
    "group": "Brand figures (one per brand and month) summed by the brand's carmaker group; "
    "brands_reported says how many brands reported. Alliance totals are not used.",
}


def period_start(month, period):
    size = PERIOD_MONTHS[period]
    return datetime.date(month.year, (month.month - 1) // size * size + 1, 1)


def add_months(month, count):
    return months_before(month, -count)


def period_label(start, period):
    if period == "month":
        return f"{start:%Y-%m}"
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def month_range(first, last):
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


# An answer has a point per series and period: this many at most (2,000 brands by
# quarter over ten years would be 80,000, tens of megabytes of JSON).
MAX_SERIES_POINTS = 25_000


class TooManyPoints(ValueError):
    """The series asked for would have more than MAX_SERIES_POINTS points."""

    def __init__(self, points):
        super().__init__(points)
        self.points = points

    def __str__(self):
        return gettext(
            "The answer would have %(points)s points (series times periods); "
            "at most %(most)s are given at once. Narrow it: fewer months "
            "(month__gte, month__lte), a longer period (quarter, year), or "
            "fewer series (alliance, brand, group)."
        ) % {"points": f"{self.points:,}", "most": f"{MAX_SERIES_POINTS:,}"}


def refuse_too_many_points(keys, first_month, last_month, period):
    """TooManyPoints unless the series of `keys` fit between these months."""
    first = period_start(first_month, period)
    months = (last_month.year - first.year) * 12 + last_month.month - first.month
    points = len(keys) * (months // PERIOD_MONTHS[period] + 1)
    if points > MAX_SERIES_POINTS:
        raise TooManyPoints(points)


@dataclass(frozen=True)
class PeriodLayout:
    """What a period's points share, worked out once for all the series."""

    start: datetime.date
    end: datetime.date
    label: str
    first: str  # start and end as the answer writes them
    last: str
    months: tuple  # (bit, month, as written) of the months expected: those in the range
    written: tuple  # the months expected, as written
    expected: int  # how many
    mask: int  # their bits
    whole: bool


def period_layouts(first_month, last_month, period):
    size = PERIOD_MONTHS[period]
    layouts = []
    start = period_start(first_month, period)
    while start <= last_month:
        end = add_months(start, size - 1)
        months = [
            (1 << (month.month - 1) % size, month, format_month(month))
            for month in month_range(max(start, first_month), min(end, last_month))
        ]
        layouts.append(
            PeriodLayout(
                start=start,
                end=end,
                label=period_label(start, period),
                first=format_month(start),
                last=format_month(end),
                months=tuple(months),
                written=tuple(written for _bit, _month, written in months),
                expected=len(months),
                mask=sum(bit for bit, _month, _written in months),
                whole=len(months) == size,
            )
        )
        start = add_months(start, size)
    return layouts


def grouped_rows(
    deliveries, group_by, period, first_month, last_month, current_month, every_figure
):
    """(rows, brand masks): the series' figures summed by key and period in one grouped
    query (summed_by_period). A group series is read by brand, then added up by group
    (groups_of), which also gives {(group, period start): {brand: mask}}.
    `every_figure`: `deliveries` is every figure between the months, no other filter."""
    last_month = min(last_month or current_month, current_month)
    if every_figure and group_by != "alliance":
        # One pass: the figures kept, chosen among every brand figure between the months.
        figures = first_brand_figures(first_month, last_month, using=deliveries.db)
    else:
        figures = (
            deliveries.filter(brand__isnull=True, alliance__isnull=False)
            if group_by == "alliance"
            else preferred_brand_figures(deliveries, first_month, last_month)
        )
        if first_month:
            figures = figures.filter(month__gte=first_month)
        # No order: the sum needs none (first_brand_figures keeps the one DISTINCT ON needs).
        figures = figures.filter(month__lte=last_month).order_by()
    sums = summed_by_period(figures, group_by, period)
    return groups_of(sums) if group_by == "group" else (points_of(sums, group_by), {})


# Where a series' key sits, from a figure: its id's column and its model.
SERIES_KEY_ID = {"alliance": "alliance_id", "brand": "brand_id", "group": "brand__group_id"}
SERIES_KEY_MODEL = {
    "alliance": Delivery._meta.get_field("alliance").related_model,
    "brand": Brand,
    "group": Brand._meta.get_field("group").related_model,
}


def least_precise(lower_bounds, approximations):
    """A point's precision from how many of its figures are lower bounds and approximate:
    the least precise of its figures'."""
    if lower_bounds:
        return LOWER_BOUND
    return APPROXIMATE if approximations else EXACT


def summed_by_period(figures, group_by, period):
    """The figures summed by series key (and brand, for a group series) and period, in
    one query, as tuples: key slug, key name, period start (a date), units, lower bounds,
    approximations, computed (how many figures of each kind), months mask (bit i set
    where the period's month i was reported), and for a group series the brand's slug.

    A key has one figure a month (the unique constraints for an alliance's totals,
    preferred_brand_figures or first_brand_figures for a brand's), so a sum of the months'
    bits is their mask, and how many months a point has is the number of bits set.

    The figures are the ORM's query (ids and values only); the sum over them is this GROUP
    BY, the same on both databases, because the ORM cannot sum over a choice of rows (a
    ranking, DISTINCT ON) without selecting the chosen rows again by id (about 1.5 times as
    long over a million figures). Each period is worked out from the figures summed only,
    as a year and the period's place in it, and the keys' slugs and names are joined to
    the sums, not to every figure."""
    by_brand = group_by == "group"
    columns = ["units", "precision", "computed", "month", "brand_id"]
    figures = figures.values(*columns, key_id=F(SERIES_KEY_ID[group_by]))
    try:
        figures_sql, figure_params = figures.query.sql_with_params()
    except EmptyResultSet:  # a filter no figure can pass (the ORM answers none unasked)
        return []
    connection = connections[figures.db]
    operations = connection.ops
    year, year_params = operations.date_extract_sql("year", "month", ())
    month, month_params = operations.date_extract_sql("month", "month", ())
    size = PERIOD_MONTHS[period]
    ids = "key_id, brand_id" if by_brand else "key_id"

    quote = operations.quote_name
    precision = quote("precision")  # a keyword in SQL

    def joined(model, alias, column):
        table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
        return f" JOIN {table} {alias} ON {alias}.{key} = sums.{column}"

    # Only the ORM's compiled query, table names and whole numbers go into the text.
    sql = (
        "SELECT k.slug, k.name, period_year, period_part, units, lower_bounds,"  # noqa: S608
        f" approximations, computed, months_mask{', b.slug' if by_brand else ''} FROM ("
        f"SELECT {ids}, CAST({year} AS integer) AS period_year,"
        f" (CAST({month} AS integer) - 1) / {size:d} AS period_part, SUM(units) AS units,"
        f" SUM(CASE WHEN {precision} = %s THEN 1 ELSE 0 END) AS lower_bounds,"
        f" SUM(CASE WHEN {precision} = %s THEN 1 ELSE 0 END) AS approximations,"
        " SUM(CASE WHEN computed THEN 1 ELSE 0 END) AS computed,"
        f" SUM(1 << ((CAST({month} AS integer) - 1) %% {size:d})) AS months_mask"
        f" FROM ({figures_sql}) figures"
        f" GROUP BY {ids}, period_year, period_part) sums"
        + joined(SERIES_KEY_MODEL[group_by], "k", "key_id")
        + (joined(Brand, "b", "brand_id") if by_brand else "")
    )
    params = [
        *year_params,
        *month_params,
        LOWER_BOUND,
        APPROXIMATE,
        *month_params,
        *figure_params,
    ]
    starts = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        sums = cursor.fetchall()
    for index, (slug, name, year, part, *rest) in enumerate(sums):
        start = starts.get((year, part))
        if start is None:
            start = starts[year, part] = datetime.date(year, part * size + 1, 1)
        sums[index] = (slug, name, start, *rest)
    return sums


def points_of(sums, group_by):
    """A brand or alliance series' points, as dicts, from summed_by_period's sums."""
    # A brand series' point is its own brand's; groups_of counts a group's brands.
    brands_reported = None if group_by == "alliance" else 1
    return [
        {
            "key_slug": slug,
            "key_name": name,
            "period_start": start,
            "units": units,
            "lower_bounds": lower,
            "approximations": approximate,
            "computed": computed,
            "months_mask": mask,
            "brands_reported": brands_reported,
            "precision": least_precise(lower, approximate),
        }
        for slug, name, start, units, lower, approximate, computed, mask in sums
    ]


def reported_bounds(grouped):
    """(first, last) month reported in the grouped rows, or (None, None)."""
    if not grouped:
        return None, None
    low = high = grouped[0]["period_start"]
    low_masks = high_masks = 0  # the months reported in the first and last periods
    for row in grouped:
        start, mask = row["period_start"], row["months_mask"]
        if start < low:
            low, low_masks = start, mask
        elif start == low:
            low_masks |= mask
        if start > high:
            high, high_masks = start, mask
        elif start == high:
            high_masks |= mask
    first = (low_masks & -low_masks).bit_length() - 1
    return add_months(low, first), add_months(high, high_masks.bit_length() - 1)


def delivery_series(
    deliveries,
    *,
    group_by,
    period,
    first_month,
    last_month,
    current_month,
    request,
    every_figure=False,
):
    """(first month, last month, points): units per series key and period, with which
    months are missing from each period, the points as the answer shows them
    (SeriesPointSerializer's representation, built directly: the same fields, in order).

    `deliveries` is already filtered (by alliance, brand, month range...). A period whose
    months are not all reported is marked incomplete and its missing months listed, so
    a partial sum is never passed off as complete. A month recorded as a known gap is
    listed under `known_gaps` with its reason rather than under `missing_months` (it is
    still not reported, so the period stays incomplete). Where a total was reported for
    exactly the period (a quarter or a year), it is shown beside the sum of the months,
    with the difference, so a total that disagrees with its months is visible.
    """
    grouped, brand_masks = grouped_rows(
        deliveries, group_by, period, first_month, last_month, current_month, every_figure
    )
    names = {row["key_slug"]: row["key_name"] for row in grouped}
    low, high = reported_bounds(grouped)
    recorded_gaps = series_gaps(group_by, names)
    if recorded_gaps and not (first_month and last_month):
        # The default range reaches the known gaps of the series too, so that months known
        # to have no figure after the latest figure (or before the first) are shown.
        low = min(filter(None, [low, *(month for _slug, month, _gap in recorded_gaps)]))
        high = max(filter(None, [high, *(month for _slug, month, _gap in recorded_gaps)]))
    first_month = first_month or low
    last_month = min(filter(None, [last_month or high, current_month]), default=None)
    if first_month is None or last_month is None or first_month > last_month:
        return first_month, last_month, []
    refuse_too_many_points(names, first_month, last_month, period)
    by_key = {slug: {} for slug in names}
    for row in grouped:
        by_key[row["key_slug"]][row["period_start"]] = row
    expected_brands = {}
    if group_by == "group" and every_figure:
        # Every figure in the window is in the rows: the brands expected are those there.
        for (slug, _start), reported_by in brand_masks.items():
            expected_brands.setdefault(slug, set()).update(reported_by)
        expected_brands = {slug: sorted(brands) for slug, brands in expected_brands.items()}
    elif group_by == "group":
        expected_brands = group_members(list(names), first_month, last_month)
    gaps = {}  # {(series slug, month): gap}, the series' preferred gap of each month
    for slug, month, gap in recorded_gaps:
        if first_month <= month <= last_month:
            gaps.setdefault((slug, month), gap)
    gapped = {slug for slug, _month in gaps}
    periods = period_layouts(first_month, last_month, period)
    totals = reported_totals(group_by, names, [layout.start for layout in periods], period)
    model = SERIES_KEY_MODEL[group_by]._meta.model_name
    by_group = group_by == "group"
    # What a point with no figure says, but for its missing months and brands.
    unreported_point = {
        "units": None,
        "months_mask": 0,
        "precision": None,
        "computed": 0,
        "brands_reported": None if group_by == "alliance" else 0,
    }
    results = []
    append = results.append  # thousands of points: the loop is kept lean
    for slug in sorted(names):
        key = summary_of(model, slug, names[slug], request)
        brands = expected_brands.get(slug, ())
        rows = by_key[slug]
        has_gaps = slug in gapped
        for layout in periods:
            row = rows.get(layout.start, unreported_point)
            units = row["units"]
            unreported = layout.mask & ~row["months_mask"]
            found_gaps = []
            if not unreported:
                missing = []
            elif unreported == layout.mask and not has_gaps:
                missing = list(layout.written)
            else:
                missing = []
                for bit, month, written in layout.months:
                    if unreported & bit:
                        gap = gaps.get((slug, month)) if has_gaps else None
                        if gap is None:
                            missing.append(written)
                        else:
                            found_gaps.append(gap)
            brands_missing = None
            if by_group:
                reported_by = brand_masks.get((slug, layout.start), {})
                brands_missing = [
                    brand for brand in brands if layout.mask & ~reported_by.get(brand, 0)
                ]
            total = totals.get((slug, layout.start, layout.end)) if totals else None
            append(
                {
                    "key": key,
                    "period": layout.label,
                    "first_month": layout.first,
                    "last_month": layout.last,
                    "units": units,
                    "months_expected": layout.expected,
                    "months_reported": row["months_mask"].bit_count(),
                    "missing_months": missing,
                    "known_gaps": found_gaps,
                    "complete": not unreported and not brands_missing,
                    "whole_period": layout.whole,
                    "precision": row["precision"],
                    "computed_figures": row["computed"],
                    "brands_reported": row["brands_reported"],
                    "brands_expected": len(brands) if by_group else None,
                    "brands_missing": brands_missing,
                    "reported_total": total,
                    "reported_total_difference": total["units"] - units
                    if total and layout.whole and units is not None
                    else None,
                }
            )
    return first_month, last_month, results


def delivery_series_answer(
    deliveries,
    *,
    group_by=None,
    period=None,
    first_month=None,
    last_month=None,
    request,
    every_figure=False,
):
    """The answer of /insights/deliveries/, as DeliverySeriesSerializer represents it: the
    series of `deliveries` (already filtered) by `group_by` (default alliance) and `period`
    (default month). `every_figure`: no filter but the months narrows `deliveries`.
    TooManyPoints if it would be too large to give at once."""
    group_by = group_by or "alliance"
    period = period or "month"
    first, last, points = delivery_series(
        deliveries,
        group_by=group_by,
        period=period,
        first_month=first_month,
        last_month=last_month,
        current_month=today().replace(day=1),
        request=request,
        every_figure=every_figure,
    )
    return {
        "group_by": group_by,
        "period": period,
        "figures": FIGURES_USED[group_by],
        "first_month": format_month(first) if first else None,
        "last_month": format_month(last) if last else None,
        "results": points,
    }


def groups_of(sums):
    """The grouped rows of a group series, from summed_by_period's sums by brand (group,
    period, brand): what the same aggregates over the group's rows give; and each
    brand's mask of months by group and period, {(group, period start): {brand: mask}}."""
    merged = {}  # (group, period start) -> [name, units, brands, lower, approximate, computed, mask]
    brand_masks = {}
    for slug, name, start, units, lower, approximate, computed, mask, brand in sums:
        key = (slug, start)
        totals = merged.get(key)
        if totals is None:
            totals = merged[key] = [name, 0, 0, 0, 0, 0, 0]
            masks = brand_masks[key] = {}
        else:
            masks = brand_masks[key]
        totals[1] += units or 0
        totals[2] += 1
        totals[3] += lower
        totals[4] += approximate
        totals[5] += computed
        totals[6] |= mask
        masks[brand] = mask
    points = [
        {
            "period_start": start,
            "key_slug": slug,
            "key_name": name,
            "units": units,
            "brands_reported": brands,
            "lower_bounds": lower,
            "approximations": approximate,
            "computed": computed,
            "months_mask": mask,
            "precision": least_precise(lower, approximate),
        }
        for (slug, start), (name, units, brands, lower, approximate, computed, mask) in (
            merged.items()
        )
    ]
    return points, brand_masks


def group_members(groups, first_month, last_month):
    """{group slug: [brand slugs expected, sorted]}: a group's brands with any figure in
    the window, whatever else the request filters on (one query). A brand whose figures a
    filter removes is then listed as missing from the group's periods, not silently left
    out of its sum."""
    if not groups:
        return {}
    members = {group: set() for group in groups}
    found = (
        Delivery.objects.filter(
            brand__group__slug__in=groups, month__gte=first_month, month__lte=last_month
        )
        .values_list("brand__group__slug", "brand__slug")
        .distinct()
        .order_by()
    )
    for group, brand in found:
        members[group].add(brand)
    return {group: sorted(brands) for group, brands in members.items()}


# Up to this many series are named in a query for their gaps or totals; more are read by
# kind and picked here (a list of thousands of slugs costs more to send than the few
# rows of other series).
SLUGS_IN_QUERY = 100


def of_series(rows, group_by, slugs):
    """(rows, key path): the gaps or totals `rows` of an alliance series (the alliance's
    own, no brand) or a brand series; of the series `slugs` only, when few."""
    if group_by == "alliance":
        rows, path = rows.filter(brand__isnull=True, alliance__isnull=False), "alliance__slug"
    else:
        rows, path = rows.filter(brand__isnull=False), "brand__slug"
    if len(slugs) <= SLUGS_IN_QUERY:
        rows = rows.filter(**{f"{path}__in": list(slugs)})
    return rows, path


def series_gaps(group_by, slugs):
    """[(series slug, month, gap)] of the months recorded as having no figure, each gap as
    KnownGapSerializer represents it, in order of preference: a stand-alone gap of a brand
    before one within an alliance (one query).

    An alliance series reads the alliance's own gaps (no brand); a brand series reads the
    brand's. A group series has none: a group's month is missing only when none of its
    brands reported.
    """
    if group_by == "group" or not slugs:
        return []
    gaps, path = of_series(DeliveryGap.objects.all(), group_by, slugs)
    rows = gaps.values("slug", "month", "reason", "note", key_slug=F(path))
    return [
        (
            gap["key_slug"],
            gap["month"],
            {
                "slug": gap["slug"],
                "month": format_month(gap["month"]),
                "reason": gap["reason"],
                "note": gap["note"],
            },
        )
        for gap in rows.order_by(F("alliance").asc(nulls_first=True), "slug")
        if gap["key_slug"] in slugs
    ]


def reported_totals(group_by, slugs, starts, period):
    """{(series slug, first month, last month): total} for totals reported for exactly a
    period of the series (a quarter or a year); a brand's stand-alone total is preferred."""
    if group_by == "group" or period == "month" or not slugs:
        return {}
    totals, path = of_series(DeliveryTotal.objects.filter(first_month__in=starts), group_by, slugs)
    found = {}
    rows = totals.values(
        "slug", "first_month", "last_month", "units", "precision", key_slug=F(path)
    )
    for total in rows.order_by(F("alliance").asc(nulls_first=True), "slug"):
        key = (total.pop("key_slug"), total.pop("first_month"), total.pop("last_month"))
        if key[0] in slugs:
            found.setdefault(key, total)
    return found
