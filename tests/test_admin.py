"""Data-entry staff work in the admin: every page opens, good input is stored, bad
input is refused with the reason on the form, and permissions are respected."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from partners.models import Company
from tests.conftest import user_with
from vehicles.models import Delivery, DeliveryGap

CATALOG_APPS = {"catalog", "partners", "vehicles"}
REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in CATALOG_APPS
)


def admin_url(app_label, model_name, view, *args):
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_every_admin_page_opens_with_data_present(world, staff_client, app_label, model_name):
    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    if model is DeliveryGap:
        DeliveryGap.objects.create(
            slug="luxeed-2025-10",
            brand=world.luxeed,
            month=datetime.date(2025, 10, 1),
            reason="not_published",
            note="Luxeed did not publish its October figure.",
        )
    obj = model.objects.first()
    assert obj is not None, f"the test world has no {model_name}"
    changelist = staff_client.get(admin_url(app_label, model_name, "changelist"))
    assert changelist.status_code == 200
    shown = obj.object_repr if model_name == "changerecord" else str(obj)
    assert shown in changelist.content.decode() or model_name == "source"
    read_only = model_name == "changerecord"
    add = staff_client.get(admin_url(app_label, model_name, "add"))
    assert add.status_code == (403 if read_only else 200)
    assert staff_client.get(admin_url(app_label, model_name, "change", obj.pk)).status_code == 200
    assert staff_client.get(admin_url(app_label, model_name, "history", obj.pk)).status_code == 200


def test_staff_search_brands_by_chinese_name(world, staff_client):
    response = staff_client.get(admin_url("vehicles", "brand", "changelist"), {"q": "问界"})
    assert [brand.slug for brand in response.context["cl"].result_list] == ["aito"]


def test_autocomplete_finds_companies_by_chinese_name(world, staff_client):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "vehicles", "model_name": "brand", "field_name": "group", "term": "赛力斯"},
    )
    assert [item["text"] for item in response.json()["results"]] == ["Seres Group"]


def form_data(response):
    """The POST body a browser would send for an admin add/change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        )
    for form in forms:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is not None:
                data[name] = value
    return data


def test_staff_add_a_company_with_its_roles(world, staff_client):
    url = admin_url("partners", "company", "add")
    data = form_data(staff_client.get(url))
    data.update(
        name="Horizon Robotics",
        name_zh="地平线",
        slug="horizon-robotics",
        country="CN",
        founded=2015,
        roles=["chip_designer", "adas_supplier"],
        sources=[world.src.pk],
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    horizon = Company.objects.get(slug="horizon-robotics")
    assert (horizon.name_zh, horizon.country.code, horizon.founded) == ("地平线", "CN", 2015)
    assert horizon.role_list == ["adas_supplier", "chip_designer"]
    assert list(horizon.sources.all()) == [world.src]


def test_staff_enter_a_monthly_delivery(world, staff_client):
    url = admin_url("vehicles", "delivery", "add")
    data = form_data(staff_client.get(url))
    data.update(
        alliance=world.hima.pk,
        month="2025-09",
        units=52916,
        precision="exact",
        sources=[world.src.pk],
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert Delivery.objects.get(slug="hima-2025-09").units == 52916


@pytest.mark.parametrize(
    ("month", "alliance", "message"),
    [
        ("2099-01", True, "A delivery month cannot be in the future."),
        ("2025-09-15", True, "Give a month as YYYY-MM, e.g. 2025-11."),
        ("2025-9", True, "Give a month as YYYY-MM, e.g. 2025-11."),
        ("2025-11", True, "This alliance already has a total for this month."),
        ("2025-09", False, "Give alliance or brand (a slug): one of them is required."),
    ],
)
def test_admin_refuses_a_bad_delivery_and_says_why(world, staff_client, month, alliance, message):
    url = admin_url("vehicles", "delivery", "add")
    before = Delivery.objects.count()
    data = form_data(staff_client.get(url))
    data.update(month=month, units=1, precision="exact")
    if alliance:
        data["alliance"] = world.hima.pk
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Delivery.objects.count() == before


def test_staff_see_only_what_their_permissions_allow(world, client):
    client.force_login(user_with("vehicles.view_brand"))
    assert client.get(admin_url("vehicles", "brand", "changelist")).status_code == 200
    assert client.get(admin_url("vehicles", "brand", "change", world.aito.pk)).status_code == 200
    assert client.get(admin_url("vehicles", "brand", "add")).status_code == 403
    assert client.get(admin_url("vehicles", "delivery", "changelist")).status_code == 403
    response = client.post(
        admin_url("vehicles", "brand", "change", world.aito.pk), {"name": "Renamed"}
    )
    assert response.status_code == 403
    world.aito.refresh_from_db()
    assert world.aito.name == "AITO"
