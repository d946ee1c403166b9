"""Who the brands rely on: /insights/dependencies/ (shares of domestic and foreign
suppliers, layer by layer) and /insights/exposure/ (what a supplier or a supplier
country reaches).

Each is a fixed number of grouped queries: the database does the counting (annotate,
aggregate, DISTINCT); Python only lays the grouped rows out as layers and brands.
"""

from collections import defaultdict

from django.db.models import Count, F, Q

from catalog.serializers import summary_of, supplier_of
from partners.models import Company
from vehicles.models import Brand, VehicleModel, VehicleModelChip
from vehicles.selectors import (
    HOME_COUNTRY,
    MODEL_LAYERS,
    Layer,
    brand_partnerships,
    brand_units,
    in_service,
    latest_year_of_figures,
    today,
)


class ReversedWindow(ValueError):
    """The one end given falls on the wrong side of the other, taken by default."""

    def __init__(self, first_month, last_month, first_given):
        super().__init__(first_month, last_month)
        self.first_month, self.last_month, self.first_given = first_month, last_month, first_given


def window_or_latest_year(brands, first_month, last_month):
    """The months given, each end left out taken from the brands' latest year of figures
    (None when they have none). ReversedWindow where the end given and the end taken by
    default would make a window that ends before it begins."""
    if not (first_month and last_month):
        first_given = first_month is not None
        latest = latest_year_of_figures(brands)
        if latest:
            first_month, last_month = first_month or latest[0], last_month or latest[1]
            if first_month > last_month:
                raise ReversedWindow(first_month, last_month, first_given)
    return first_month, last_month


# --- dependencies across brands ------------------------------------------------------


def share(part, whole):
    return round(part / whole, 4) if whole else None


def weighted(pairs, weights):
    """{country: units}: each brand's weight counted once per supplier country it relies on."""
    units = defaultdict(int)
    for brand_id, country in set(pairs):
        units[country] += weights.get(brand_id, (0, 0))[0]
    return units


def split(counts, total, model_counts, model_total, units, unit_total):
    """The figures of one side (domestic, foreign or a country) of a layer."""
    return {
        "brands": counts,
        "brand_share": share(counts, total),
        "vehicle_models": model_counts,
        "model_share": share(model_counts, model_total) if model_counts is not None else None,
        "units": units,
        "weighted_share": share(units, unit_total),
    }


def layer_dependency(name, description, pairs, weights, *, totals=None, by_country=None):
    """One layer's answer from its (brand, supplier country) pairs and optional model counts.

    `totals` and `by_country` carry vehicle-model counts computed in the database; a
    brand-level layer (telecom) has none.
    """
    brands_known = {brand for brand, _ in pairs}
    weighted_brands = {brand for brand in brands_known if brand in weights}
    unit_total = sum(weights[brand][0] for brand in weighted_brands)
    units = weighted(pairs, weights)
    brands_by_country = defaultdict(set)
    for brand, country in pairs:
        brands_by_country[country].add(brand)
    domestic_brands = brands_by_country.get(HOME_COUNTRY, set())
    foreign_brands = set().union(*(b for c, b in brands_by_country.items() if c != HOME_COUNTRY))
    foreign_units = sum(weights.get(brand, (0, 0))[0] for brand in foreign_brands)
    models = totals or {}
    model_total = models.get("models")
    model_rows = {row["country"]: row["models"] for row in (by_country or [])}
    return {
        "layer": name,
        "description": description,
        "brands": len(brands_known),
        "vehicle_models": model_total,
        "domestic": split(
            len(domestic_brands),
            len(brands_known),
            models.get("domestic_models"),
            model_total,
            units.get(HOME_COUNTRY, 0),
            unit_total,
        ),
        "foreign": split(
            len(foreign_brands),
            len(brands_known),
            models.get("foreign_models"),
            model_total,
            foreign_units,
            unit_total,
        ),
        "by_country": [
            {
                "country": country,
                **split(
                    len(brands_by_country[country]),
                    len(brands_known),
                    model_rows.get(country) if by_country is not None else None,
                    model_total,
                    units.get(country, 0),
                    unit_total,
                ),
            }
            for country in sorted(brands_by_country, key=lambda c: (-len(brands_by_country[c]), c))
        ],
        "weight_coverage": {
            "brands_with_figures": len(weighted_brands),
            "brands": len(brands_known),
            "units": unit_total,
        },
    }


def model_layer_dependency(layer: Layer, brands, weights):
    rows = layer.rows(VehicleModel.objects.filter(brand__in=brands))
    country = f"{layer.supplier}__country"
    home = Q(**{country: HOME_COUNTRY})
    model = layer.path("id")
    totals = rows.aggregate(
        models=Count(model, distinct=True),
        domestic_models=Count(model, distinct=True, filter=home),
        foreign_models=Count(model, distinct=True, filter=~home),
    )
    by_country = rows.values(country=F(country)).annotate(models=Count(model, distinct=True))
    pairs = list(rows.values_list(layer.path("brand"), country).distinct())
    return layer_dependency(
        layer.name, layer.description, pairs, weights, totals=totals, by_country=list(by_country)
    )


def telecom_dependency(brands, weights, as_of):
    """Telecom partners of the brands: their own deals and their groups' group-wide ones."""
    deals = brand_partnerships(brands, as_of).filter(kind="telecom")
    pairs = list(
        deals.filter(brand__isnull=False).values_list("brand", "partner__country").distinct()
    )
    group_deals = (
        deals.filter(carmaker__isnull=False).values_list("carmaker", "partner__country").distinct()
    )
    countries_by_group = defaultdict(set)
    for group, country in group_deals:
        countries_by_group[group].add(country)
    for brand, group in brands.values_list("id", "group"):
        pairs += [(brand, country) for country in countries_by_group.get(group, ())]
    return layer_dependency("telecom", "Telecom partners, by operator", pairs, weights)


def dependencies(brands, *, layers, weight_from, weight_to, as_of):
    """Per layer, how many of the brands (and their models) rely on domestic and foreign
    suppliers, by supplier country, weighted by the brands' deliveries in a period."""
    weights = brand_units(brands, weight_from, weight_to) if weight_from and weight_to else {}
    results = [
        model_layer_dependency(layer, brands, weights)
        for layer in MODEL_LAYERS
        if not layers or layer.name in layers
    ]
    if not layers or "telecom" in layers:
        results.append(telecom_dependency(brands, weights, as_of))
    return results


def dependencies_answer(brands, *, layers=(), weight_from=None, weight_to=None, as_of=None):
    """The answer of /insights/dependencies/ for the brands a queryset selects: the layers
    asked for (default all), weighted by deliveries over the months given (default the
    brands' latest year of figures), partnerships as of a date (default today)."""
    brands = Brand.objects.filter(pk__in=brands.values("pk"))
    weight_from, weight_to = window_or_latest_year(brands, weight_from, weight_to)
    as_of = as_of or today()
    return {
        "brands": brands.count(),
        "weight_from": weight_from,
        "weight_to": weight_to,
        "as_of": as_of,
        "results": dependencies(
            brands, layers=set(layers), weight_from=weight_from, weight_to=weight_to, as_of=as_of
        ),
    }


# --- exposure to a supplier or a country -----------------------------------------------

EXTRA_LAYERS = [
    Layer(
        "adas_compute",
        "Chips the driver-assist stack computes on, by designer",
        "adas_stack__compute_chips",
        "adas_stack__compute_chips__designer",
        "",
        "chip",
    ),
    Layer(
        "chip_foundry",
        "Chips fitted, by the foundry that makes them",
        "chip",
        "chip__foundry",
        "vehicle_model",
        "chip",
        "any",
    ),
]


def with_subsidiaries(company_ids):
    """The companies and everything they control, directly or not (one query)."""
    children = defaultdict(list)
    for company, parent in Company.objects.filter(parent__isnull=False).values_list("id", "parent"):
        children[parent].append(company)
    found, todo = set(company_ids), list(company_ids)
    while todo:
        for child in children[todo.pop()]:
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def exposure(brands, *, supplier, as_of):
    """Brands, vehicle models on sale and partnerships that depend on the suppliers.

    `supplier(path)` is the Q object selecting supplier companies at a path. Returns
    ({brand id: {"layers", "models": {id: {...}}, "partnerships": [...]}}, brands by id).
    """
    models = VehicleModel.objects.filter(in_service(as_of), brand__in=brands)
    hits = defaultdict(lambda: {"layers": set(), "models": {}, "partnerships": []})
    for layer in [*MODEL_LAYERS, *EXTRA_LAYERS]:
        rows = (
            VehicleModelChip.objects.filter(vehicle_model__in=models)
            if layer.chip_role == "any"
            else layer.rows(models)
        )
        found = (
            rows.filter(supplier(layer.supplier))
            .values_list(
                layer.path("brand"), layer.path("id"), layer.path("slug"), layer.path("name")
            )
            .distinct()
        )
        for brand, model_id, slug, name in found:
            entry = hits[brand]
            entry["layers"].add(layer.name)
            model = entry["models"].setdefault(
                model_id, {"slug": slug, "name": name, "layers": set()}
            )
            model["layers"].add(layer.name)
    deals = (
        brand_partnerships(brands, as_of)
        .filter(supplier("partner"))
        .select_related("partner", "brand", "carmaker")
        .order_by("slug")
    )
    group_brands = defaultdict(list)
    for brand, group in brands.values_list("id", "group"):
        group_brands[group].append(brand)
    for deal in deals:
        for brand in [deal.brand_id] if deal.brand_id else group_brands[deal.carmaker_id]:
            hits[brand]["layers"].add(f"partnership:{deal.kind}")
            hits[brand]["partnerships"].append(deal)
    by_id = Brand.objects.select_related("group").in_bulk(list(hits))
    return hits, by_id


def exposure_answer(
    brands,
    *,
    companies=(),
    countries=(),
    include_subsidiaries=None,
    month_from=None,
    month_to=None,
    as_of=None,
    request,
):
    """The answer of /insights/exposure/: what of the brands a queryset selects relies on
    the companies (with their subsidiaries unless include_subsidiaries is False) or on
    suppliers from the countries, as of a date (default today), with each brand's
    deliveries over the months given (default the latest year of figures of the brands hit).
    """
    countries = sorted(countries)
    include = True if include_subsidiaries is None else include_subsidiaries
    ids = {company.pk for company in companies}
    if include:
        ids = with_subsidiaries(ids)

    def supplier(path):
        condition = Q(**{f"{path}__in": ids}) if ids else Q()
        if countries:
            condition |= Q(**{f"{path}__country__in": countries})
        return condition

    as_of = as_of or today()
    brands = Brand.objects.filter(pk__in=brands.values("pk"))
    hits, by_id = exposure(brands, supplier=supplier, as_of=as_of)
    month_from, month_to = window_or_latest_year(
        brands.filter(pk__in=list(hits)), month_from, month_to
    )
    units = brand_units(list(hits), month_from, month_to) if month_from and month_to else {}
    results = [
        exposed_brand(by_id[brand_id], entry, units.get(brand_id, (None, 0)), request)
        for brand_id, entry in sorted(hits.items(), key=lambda item: by_id[item[0]].name)
    ]
    return {
        "companies": [
            supplier_of(company.slug, company.name, company.country, request)
            for company in companies
        ],
        "countries": countries,
        "include_subsidiaries": include,
        "as_of": as_of,
        "month_from": month_from,
        "month_to": month_to,
        "totals": {
            "brands": len(results),
            "vehicle_models": sum(len(r["vehicle_models"]) for r in results),
            "brands_with_figures": sum(1 for r in results if r["units"] is not None),
            "units": sum(r["units"] or 0 for r in results),
        },
        "results": results,
    }


def exposed_brand(brand, entry, units, request):
    """One brand of the exposure answer: its layers, models on sale and partnerships hit."""
    brand_units_, months = units
    return {
        "brand": summary_of("brand", brand.slug, brand.name, request),
        "group": supplier_of(brand.group.slug, brand.group.name, brand.group.country, request),
        "layers": sorted(entry["layers"]),
        "vehicle_models": [
            {
                "vehicle_model": summary_of("vehiclemodel", model["slug"], model["name"], request),
                "layers": sorted(model["layers"]),
            }
            for model in sorted(entry["models"].values(), key=lambda m: m["slug"])
        ],
        "partnerships": [
            {
                "partnership": summary_of("partnership", deal.slug, str(deal), request),
                "partner": supplier_of(
                    deal.partner.slug, deal.partner.name, deal.partner.country, request
                ),
                "kind": deal.kind,
            }
            for deal in entry["partnerships"]
        ],
        "units": brand_units_,
        "months_reported": months,
    }
