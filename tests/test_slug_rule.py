"""A row entered without a slug gets the same one whichever way it comes in: through the
API, the admin's add form, a spreadsheet import or the seed files. Each path asks the
model for its rule, so a researcher who knows the rule can predict every URL."""

import datetime
import io
import re
from dataclasses import dataclass

import pytest
import yaml
from django.db import transaction
from django.urls import reverse

from catalog.models import ApiToken, Source
from partners.models import Alliance, Chip, Company, Shareholding
from tests.test_admin import form_data
from vehicles.models import (
    AllianceMembership,
    Brand,
    Delivery,
    DeliveryGap,
    DeliveryTotal,
    Partnership,
    VehicleModel,
)
from vehicles.seed import load_catalog

# The paths that make a slug: the API always; the admin and the import where the slug is
# the system's (named rows get theirs typed, filled in from the name as one types); the
# seed files for monthly figures and gaps, whose slug may be left out.
API, ADMIN, IMPORT, LOADER = "api", "admin", "import", "loader"


@dataclass
class Case:
    model: type
    values: dict  # relations by slug, months as YYYY-MM, as the API takes them
    slug: str
    paths: tuple = (API,)


CASES = [
    Case(Brand, {"name": "Onvo Auto", "group": "seres"}, "onvo-auto"),
    Case(Company, {"name": "Zeekr Intelligent Tech", "country": "CN"}, "zeekr-intelligent-tech"),
    Case(
        Chip,
        {"name": "Kirin 9010 A", "designer": "huawei", "category": "cockpit_soc"},
        "kirin-9010-a",
    ),
    Case(
        Alliance,
        {"name": "Smart Car (Alliance)", "leader": "huawei", "kind": "alliance"},
        "smart-car-alliance",
    ),
    Case(
        Source,
        {
            "title": "Seres: Annual Report 2025",
            "publisher": "Seres",
            "link": "https://example.org/r",
        },
        "seres-annual-report-2025",
    ),
    Case(
        Shareholding,
        {"holder": "huawei", "company": "seres", "share_percent": 5},
        "huawei-in-seres",
        (API, ADMIN),
    ),
    Case(
        VehicleModel,
        {"brand": "aito", "name": "M9 Ultra", "powertrain": "erev"},
        "aito-m9-ultra",
        (API, ADMIN, IMPORT),
    ),
    Case(
        Partnership,
        {"carmaker": "chery", "partner": "china-mobile", "kind": "joint_venture"},
        "chery-china-mobile-joint-venture",
        (API, ADMIN, IMPORT),
    ),
    Case(
        AllianceMembership,
        {"alliance": "hima", "brand": "lynk-co", "joined_on": "2024-05-01"},
        "hima-lynk-co",
        (API, ADMIN, IMPORT),
    ),
    Case(
        Delivery,
        {"alliance": "hima", "brand": "luxeed", "month": "2025-11", "units": 12000},
        "hima-luxeed-2025-11",
        (API, ADMIN, IMPORT, LOADER),
    ),
    Case(
        Delivery,
        {"brand": "lynk-co", "month": "2025-09", "units": 30000},
        "lynk-co-2025-09",
        (API, ADMIN, IMPORT, LOADER),
    ),
    Case(
        DeliveryTotal,
        {
            "alliance": "hima",
            "brand": "aito",
            "first_month": "2025-01",
            "last_month": "2025-06",
            "units": 150000,
        },
        "hima-aito-2025-01-to-2025-06",
        (API, ADMIN, IMPORT),
    ),
    Case(
        DeliveryGap,
        {
            "brand": "lynk-co",
            "month": "2025-10",
            "reason": "not_published",
            "note": "Only the group's total.",
        },
        "lynk-co-2025-10-gap",
        (API, ADMIN, LOADER),
    ),
]


def relations(case):
    return {
        name: case.model._meta.get_field(name).related_model
        for name in case.values
        if name != "link" and case.model._meta.get_field(name).is_relation
    }


def as_model_values(case):
    """The values as the model holds them: related rows, months as their first day."""
    linked = relations(case)
    values = {}
    for name, value in case.values.items():
        if name in linked:
            value = linked[name].objects.get(slug=value)
        elif isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
            value = datetime.date.fromisoformat(f"{value}-01")
        values[name] = value
    return values


def through_api(client, case, admin_user):
    _, raw = ApiToken.issue(user=admin_user, name="slugs")
    response = client.post(
        reverse(f"{case.model._meta.model_name}-list"),
        case.values,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201, response.json()
    return response.json()["slug"]


def through_admin(client, case, admin_user):
    client.force_login(admin_user)
    opts = case.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    data = form_data(client.get(url))
    data.pop("slug", None)
    linked = relations(case)
    for name, value in case.values.items():
        data[name] = linked[name].objects.get(slug=value).pk if name in linked else value
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return case.model.objects.latest("pk").slug


def through_import(client, case, admin_user):
    client.force_login(admin_user)
    opts = case.model._meta
    table = io.BytesIO(
        (",".join(case.values) + "\n" + ",".join(map(str, case.values.values())) + "\n").encode()
    )
    table.name = "rows.csv"
    response = client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_import"),
        {"import_file": table, "format": "0"},
    )
    form = response.context["confirm_form"]
    client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_process_import"),
        {name: form.initial[name] for name in form.fields},
    )
    return case.model.objects.latest("pk").slug


def through_loader(tmp_path, case):
    section = {Delivery: "deliveries", DeliveryGap: "delivery_gaps"}[case.model]
    path = tmp_path / "rows.yaml"
    path.write_text(yaml.safe_dump({section: [{**case.values, "sources": ["test-source"]}]}))
    load_catalog([path])
    return case.model.objects.latest("pk").slug


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.slug)
def test_every_path_makes_the_same_slug_from_the_same_values(
    world, client, admin_user, tmp_path, case
):
    made = {}
    for path in case.paths:
        with transaction.atomic():
            if path == API:
                made[path] = through_api(client, case, admin_user)
            elif path == ADMIN:
                made[path] = through_admin(client, case, admin_user)
            elif path == IMPORT:
                made[path] = through_import(client, case, admin_user)
            else:
                made[path] = through_loader(tmp_path, case)
            transaction.set_rollback(True)
    assert made == dict.fromkeys(case.paths, case.slug)
    assert case.model.make_slug(as_model_values(case)) == case.slug


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (VehicleModel, {"name": "M9"}),
        (Partnership, {"brand": "aito", "kind": "adas"}),
        (AllianceMembership, {"alliance": "hima"}),
        (Shareholding, {"company": "seres"}),
        (Delivery, {"alliance": "hima"}),
        (Delivery, {"month": "2025-11"}),
        (DeliveryTotal, {"brand": "aito", "first_month": "2025-01"}),
        (DeliveryGap, {"month": "2025-11"}),
        (Brand, {"group": "seres"}),
        (Source, {"publisher": "Seres"}),
    ],
)
def test_without_the_values_it_is_made_from_no_slug_is_made(world, model, values):
    assert model.make_slug(as_model_values(Case(model, values, ""))) is None
