"""A brand's smart stack on a date: the answer of /brands/<slug>/stack/.

Layer by layer (cockpit OS, driver-assist stack, driver-assist, cockpit and connectivity
chips), what the brand's vehicle models on sale use and from which suppliers' countries,
then the partnerships in force. Three grouped queries a layer, whatever the catalog's size.
"""

from django.db.models import Count, F, Q

from catalog.serializers import summary_of, supplier_of
from vehicles.models import Brand, VehicleModel
from vehicles.selectors import MODEL_LAYERS, brand_partnerships, in_service, today


def brand_stack(brand, *, as_of=None, request):
    """The brand's stack on `as_of` (default today); what counts as domestic is its group's
    country."""
    as_of = as_of or today()
    home = brand.group.country.code
    models = VehicleModel.objects.filter(in_service(as_of), brand=brand)
    partnerships = (
        brand_partnerships(Brand.objects.filter(pk=brand.pk), as_of)
        .select_related("partner", "brand", "carmaker")
        .order_by("kind", "partner__name", "slug")
    )
    by_kind = {}
    for deal in partnerships:
        by_kind.setdefault(deal.kind, []).append(deal)
    return {
        "brand": summary_of("brand", brand.slug, brand.name, request),
        "group": supplier_of(brand.group.slug, brand.group.name, home, request),
        "home_country": home,
        "as_of": as_of,
        "vehicle_models": models.count(),
        "layers": [stack_layer(layer, models, home, request) for layer in MODEL_LAYERS],
        "partners": [partner_layer(kind, deals, home, request) for kind, deals in by_kind.items()],
    }


def stack_layer(layer, models, home, request):
    """One layer: each product with its supplier and how many of the models use it, then
    per supplier country how many suppliers and distinct models."""
    rows = layer.rows(models)

    def supplier(field):
        return F(f"{layer.supplier}__{field}")

    items = (
        rows.values(
            product_slug=F(f"{layer.product}__slug"),
            product_name=F(f"{layer.product}__name"),
            supplier_slug=supplier("slug"),
            supplier_name=supplier("name"),
            supplier_country=supplier("country"),
        )
        .annotate(vehicle_models=Count(layer.path("id"), distinct=True))
        .order_by("-vehicle_models", "product_slug")
    )
    by_country = (
        rows.values(country=supplier("country"))
        .annotate(
            suppliers=Count(supplier("id"), distinct=True),
            vehicle_models=Count(layer.path("id"), distinct=True),
        )
        .order_by("country")
    )
    domestic = Q(**{f"{layer.supplier}__country": home})
    split = rows.aggregate(
        domestic_suppliers=Count(supplier("id"), distinct=True, filter=domestic),
        foreign_suppliers=Count(supplier("id"), distinct=True, filter=~domestic),
        domestic_models=Count(layer.path("id"), distinct=True, filter=domestic),
        foreign_models=Count(layer.path("id"), distinct=True, filter=~domestic),
    )
    return {
        "layer": layer.name,
        "description": layer.description,
        "items": [
            {
                "product": summary_of(
                    layer.product_model, row["product_slug"], row["product_name"], request
                ),
                "supplier": supplier_of(
                    row["supplier_slug"], row["supplier_name"], row["supplier_country"], request
                ),
                "vehicle_models": row["vehicle_models"],
            }
            for row in items
        ],
        "by_country": list(by_country),
        "domestic": {
            "suppliers": split["domestic_suppliers"],
            "vehicle_models": split["domestic_models"],
        },
        "foreign": {
            "suppliers": split["foreign_suppliers"],
            "vehicle_models": split["foreign_models"],
        },
    }


def partner_layer(kind, deals, home, request):
    """The partnerships of one kind in force, and how many partners are domestic or not."""
    return {
        "kind": kind,
        "partnerships": [
            {
                "partnership": summary_of("partnership", deal.slug, str(deal), request),
                "partner": supplier_of(
                    deal.partner.slug, deal.partner.name, deal.partner.country.code, request
                ),
                "level": "brand" if deal.brand_id else "group",
                "scope": deal.scope,
                "started_on": deal.started_on or deal.announced_on,
                "ended_on": deal.ended_on,
            }
            for deal in deals
        ],
        "domestic": len({d.partner_id for d in deals if d.partner.country.code == home}),
        "foreign": len({d.partner_id for d in deals if d.partner.country.code != home}),
    }
