"""Delivered units over time, by alliance, brand or carmaker group: /insights/deliveries/.

A fixed number of grouped queries: the database does the counting and summing
(annotate/aggregate, DISTINCT); Python only lays the grouped rows out as periods.
"""

import datetime

from django.db.models import Case, Count, F, IntegerField, Max, Min, Q, Sum, Value, When
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import gettext

from catalog.serializers import summary_of
from vehicles.models import Delivery, DeliveryGap, DeliveryTotal, Precision
from vehicles.selectors import months_before, preferred_brand_figures, today

TRUNCATE = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
SERIES_KEY = {"alliance": "alliance", "brand": "brand", "group": "brand__group"}
SERIES_MODEL = {"alliance": "alliance", "brand": "brand", "group": "company"}
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


def month_bit(period):
    """2 to the power of a month's place in its period (0 for January, April... in a
    quarter), as an expression: summed over a point's distinct months, a mask of them."""
    size = PERIOD_MONTHS[period]
    return Case(
        *(When(month__month=month, then=Value(1 << (month - 1) % size)) for month in range(1, 13)),
        output_field=IntegerField(),
    )


def masked_months(start, row):
    """The months of the period starting at `start` whose bits `row["months_mask"]` sets."""
    mask = int(row["months_mask"] or 0)
    return [add_months(start, index) for index in range(mask.bit_length()) if mask >> index & 1]


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


def refuse_too_many_points(grouped, first_month, last_month, period):
    """TooManyPoints unless the series fit; reads `grouped` (which keeps its rows)."""
    keys = {row["key_slug"] for row in grouped}
    first = period_start(first_month, period)
    months = (last_month.year - first.year) * 12 + last_month.month - first.month
    points = len(keys) * (months // PERIOD_MONTHS[period] + 1)
    if points > MAX_SERIES_POINTS:
        raise TooManyPoints(points)


def delivery_series(deliveries, *, group_by, period, first_month, last_month, current_month):
    """Units per series key and period, with which months are missing from each period.

    `deliveries` is already filtered (by alliance, brand, month range...). A period whose
    months are not all reported is marked incomplete and its missing months listed, so
    a partial sum is never passed off as complete. A month recorded as a known gap is
    listed under `known_gaps` with its reason rather than under `missing_months` (it is
    still not reported, so the period stays incomplete). Where a total was reported for
    exactly the period (a quarter or a year), it is shown beside the sum of the months,
    with the difference, so a total that disagrees with its months is visible.
    """
    key = SERIES_KEY[group_by]

    rows = (
        deliveries.filter(brand__isnull=True, alliance__isnull=False)
        if group_by == "alliance"
        else preferred_brand_figures(deliveries, first_month, last_month)
    )
    if first_month:
        rows = rows.filter(month__gte=first_month)
    rows = rows.filter(month__lte=min(last_month or current_month, current_month))
    # One grouped query gives the sums, the range of months (where the request leaves it
    # open) and which months each point has, as a mask: bit i set where the period's
    # month i was reported. A group series is read by brand, then added up by group: the
    # group's members' months come from the same rows, not from a second choice of them.
    by_brand = {"brand_slug": F("brand__slug")} if group_by == "group" else {}
    grouped = list(
        rows.annotate(period_start=TRUNCATE[period]("month"))
        .values("period_start", key_slug=F(f"{key}__slug"), key_name=F(f"{key}__name"), **by_brand)
        .annotate(
            units=Sum("units"),
            months_reported=Count("month", distinct=True),
            brands_reported=Count("brand", distinct=True),
            lower_bounds=Count("id", filter=Q(precision=Precision.LOWER_BOUND)),
            approximations=Count("id", filter=Q(precision=Precision.APPROXIMATE)),
            computed=Count("id", filter=Q(computed=True)),
            months_mask=Sum(month_bit(period), distinct=True),
            low=Min("month"),
            high=Max("month"),
        )
        .order_by("key_slug", "period_start")
    )
    brand_rows = []
    if group_by == "group":
        brand_rows, grouped = grouped, groups_of(grouped)
    names = {row["key_slug"]: row["key_name"] for row in grouped}
    bounds = {
        "low": min((row["low"] for row in grouped), default=None),
        "high": max((row["high"] for row in grouped), default=None),
    }
    if not (first_month and last_month) and group_by != "group":
        # The default range reaches the known gaps of the series too, so that months known
        # to have no figure after the latest figure (or before the first) are shown.
        gap_bounds = gap_rows(group_by, list(names)).aggregate(low=Min("month"), high=Max("month"))
        bounds = {
            "low": min(filter(None, [bounds["low"], gap_bounds["low"]]), default=None),
            "high": max(filter(None, [bounds["high"], gap_bounds["high"]]), default=None),
        }
    first_month = first_month or bounds["low"]
    last_month = min(filter(None, [last_month or bounds["high"], current_month]), default=None)
    if first_month is None or last_month is None or first_month > last_month:
        return first_month, last_month, []
    refuse_too_many_points(grouped, first_month, last_month, period)
    points = {}
    reported = set()
    for row in grouped:
        start = _as_date(row["period_start"])
        points[(row["key_slug"], start)] = row
        reported.update((row["key_slug"], month) for month in masked_months(start, row))
    members = (
        group_members(brand_rows, list(names), first_month, last_month)
        if group_by == "group"
        else {}
    )
    gaps = known_gaps(group_by, list(names), first_month, last_month)
    starts = []
    start = period_start(first_month, period)
    while start <= last_month:
        starts.append(start)
        start = add_months(start, PERIOD_MONTHS[period])
    totals = reported_totals(group_by, list(names), starts, period)
    # What depends on the period alone, worked out once for all the series.
    periods = []
    for start in starts:
        end = add_months(start, PERIOD_MONTHS[period] - 1)
        expected = month_range(max(start, first_month), min(end, last_month))
        whole = len(expected) == PERIOD_MONTHS[period]
        periods.append((start, end, expected, period_label(start, period), whole))
    results = []
    for slug in sorted(names):
        for start, end, expected, label, whole in periods:
            unreported = [month for month in expected if (slug, month) not in reported]
            missing = [month for month in unreported if (slug, month) not in gaps]
            expected_brands, brand_months = members.get(slug, ({}, set()))
            brands_missing = sorted(
                brand
                for brand in expected_brands
                if any((brand, month) not in brand_months for month in expected)
            )
            row = points.get((slug, start))
            units = row["units"] if row else None
            total = totals.get((slug, start, end))
            results.append(
                {
                    "key": (SERIES_MODEL[group_by], slug, names[slug]),
                    "period": label,
                    "first_month": start,
                    "last_month": end,
                    "units": units,
                    "months_expected": len(expected),
                    "months_reported": row["months_reported"] if row else 0,
                    "missing_months": missing,
                    "known_gaps": [
                        gaps[(slug, month)] for month in unreported if (slug, month) in gaps
                    ],
                    "complete": not unreported and not brands_missing,
                    "whole_period": whole,
                    "precision": _precision(row),
                    "computed_figures": row["computed"] if row else 0,
                    "brands_reported": None
                    if group_by == "alliance"
                    else (row["brands_reported"] if row else 0),
                    "brands_expected": len(expected_brands) if group_by == "group" else None,
                    "brands_missing": brands_missing if group_by == "group" else None,
                    "reported_total": total,
                    "reported_total_difference": total["units"] - units
                    if total and whole and units is not None
                    else None,
                }
            )
    return first_month, last_month, results


def delivery_series_answer(
    deliveries, *, group_by=None, period=None, first_month=None, last_month=None, request
):
    """The answer of /insights/deliveries/: the series of `deliveries` (already filtered)
    by `group_by` (default alliance) and `period` (default month), each point's series
    as a summary. TooManyPoints if it would be too large to give at once."""
    group_by = group_by or "alliance"
    period = period or "month"
    first, last, points = delivery_series(
        deliveries,
        group_by=group_by,
        period=period,
        first_month=first_month,
        last_month=last_month,
        current_month=today().replace(day=1),
    )
    summaries = {}  # one per series, not per point
    for point in points:
        key = point["key"]
        if key not in summaries:
            summaries[key] = summary_of(*key, request)
        point["key"] = summaries[key]
    return {
        "group_by": group_by,
        "period": period,
        "figures": FIGURES_USED[group_by],
        "first_month": first,
        "last_month": last,
        "results": points,
    }


def groups_of(brand_rows):
    """The grouped rows of a group series, from its rows by brand (group, period, brand):
    what the same aggregates over the group's rows give."""
    merged = {}
    for row in brand_rows:
        point = merged.get((row["key_slug"], row["period_start"]))
        if point is None:
            point = merged[(row["key_slug"], row["period_start"])] = {
                **row,
                "units": 0,
                "brands_reported": 0,
                "lower_bounds": 0,
                "approximations": 0,
                "computed": 0,
                "months_mask": 0,
            }
            del point["brand_slug"]
        point["units"] += row["units"] or 0
        point["brands_reported"] += 1
        point["lower_bounds"] += row["lower_bounds"]
        point["approximations"] += row["approximations"]
        point["computed"] += row["computed"]
        point["months_mask"] |= int(row["months_mask"] or 0)
        point["low"] = min(point["low"], row["low"])
        point["high"] = max(point["high"], row["high"])
    for point in merged.values():
        point["months_reported"] = point["months_mask"].bit_count()
    return list(merged.values())


def group_members(brand_rows, groups, first_month, last_month):
    """{group slug: ({brand slugs expected}, {(brand slug, month) reported})}.

    A group's expected brands are those of its brands with any figure in the window,
    whatever else the request filters on (one query): a brand whose figures a filter
    removes is then listed as missing from the group's periods, not silently left out of
    its sum. A brand's reported months are those of the series' own rows by brand."""
    if not groups:
        return {}
    members = {group: (set(), set()) for group in groups}
    found = (
        Delivery.objects.filter(
            brand__group__slug__in=groups, month__gte=first_month, month__lte=last_month
        )
        .values_list("brand__group__slug", "brand__slug")
        .distinct()
        .order_by()
    )
    for group, brand in found:
        members[group][0].add(brand)
    for row in brand_rows:
        start = _as_date(row["period_start"])
        members[row["key_slug"]][1].update(
            (row["brand_slug"], month) for month in masked_months(start, row)
        )
    return members


def gap_rows(group_by, slugs):
    """The recorded gaps of these series: an alliance's own (no brand) or a brand's."""
    if group_by == "group" or not slugs:
        return DeliveryGap.objects.none()
    if group_by == "alliance":
        return DeliveryGap.objects.filter(brand__isnull=True, alliance__slug__in=slugs)
    return DeliveryGap.objects.filter(brand__slug__in=slugs)


def known_gaps(group_by, slugs, first_month, last_month):
    """{(series slug, month): gap} for the months recorded as having no figure (one query).

    An alliance series reads the alliance's own gaps (no brand); a brand series reads the
    brand's, a stand-alone gap before one within an alliance. A group series has none: a
    group's month is missing only when none of its brands reported.
    """
    if group_by == "group" or not slugs:
        return {}
    gaps = gap_rows(group_by, slugs).filter(month__gte=first_month, month__lte=last_month)
    found = {}
    rows = gaps.values("slug", "month", "reason", "note", key_slug=F(f"{group_by}__slug"))
    for gap in rows.order_by(F("alliance").asc(nulls_first=True), "slug"):
        key = (gap.pop("key_slug"), gap["month"])
        found.setdefault(key, gap)
    return found


def reported_totals(group_by, slugs, starts, period):
    """{(series slug, first month, last month): total} for totals reported for exactly a
    period of the series (a quarter or a year); a brand's stand-alone total is preferred."""
    if group_by == "group" or period == "month" or not slugs:
        return {}
    totals = DeliveryTotal.objects.filter(first_month__in=starts)
    if group_by == "alliance":
        totals = totals.filter(brand__isnull=True, alliance__slug__in=slugs)
    else:
        totals = totals.filter(brand__slug__in=slugs)
    found = {}
    rows = totals.values(
        "slug", "first_month", "last_month", "units", "precision", key_slug=F(f"{group_by}__slug")
    )
    for total in rows.order_by(F("alliance").asc(nulls_first=True), "slug"):
        key = (total.pop("key_slug"), total.pop("first_month"), total.pop("last_month"))
        found.setdefault(key, total)
    return found


def _precision(row):
    if row is None:
        return None
    if row["lower_bounds"]:
        return Precision.LOWER_BOUND
    if row["approximations"]:
        return Precision.APPROXIMATE
    return Precision.EXACT


def _as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value
