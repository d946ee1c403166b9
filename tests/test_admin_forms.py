"""Forms that fit data entry: the name first and the slug made from it, months typed as
YYYY-MM, the system's slugs for figures, filters that offer what fits, and clear pages
when a permission is missing."""

import datetime
import json

import pytest
from django.urls import reverse

from tests.conftest import user_with
from tests.test_admin import form_data
from tests.test_admin_inlines import add_rows, inline_errors, page_data
from vehicles.models import AllianceMembership, Delivery, DeliveryTotal, VehicleModel


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def form_fields(response):
    return list(response.context["adminform"].form.fields)


def test_a_named_row_is_entered_name_first_with_the_slug_filled_from_the_name(staff_client, db):
    response = staff_client.get(reverse("admin:partners_company_add"))
    assert form_fields(response)[:3] == ["name", "name_zh", "slug"]
    response = staff_client.get(reverse("admin:vehicles_brand_add"))
    assert form_fields(response)[:3] == ["name", "name_zh", "slug"]
    prepopulated = response.context["prepopulated_fields_json"]
    assert json.loads(prepopulated)[0]["dependency_ids"] == ["#id_name"]
    assert json.loads(prepopulated)[0]["id"] == "#id_slug"


def test_a_delivery_is_who_month_and_units_first_with_a_month_picker(staff_client, db):
    response = staff_client.get(reverse("admin:vehicles_delivery_add"))
    assert form_fields(response) == [
        "alliance",
        "brand",
        "month",
        "units",
        "precision",
        "computed",
        "note",
        "sources",
    ]
    assert '<input type="month" name="month" placeholder="YYYY-MM"' in response.content.decode()


def test_a_clerk_enters_a_month_and_the_system_makes_the_slug(world, staff_client):
    url = reverse("admin:vehicles_delivery_add")
    data = form_data(staff_client.get(url))
    data.update(alliance=world.hima.pk, brand=world.luxeed.pk, month="2025-12", units=10139)
    assert staff_client.post(url, data).status_code == 302
    figure = Delivery.objects.get(slug="hima-luxeed-2025-12")
    assert (figure.month, figure.units) == (datetime.date(2025, 12, 1), 10139)
    page = staff_client.get(reverse("admin:vehicles_delivery_change", args=[figure.pk]))
    html = page.content.decode()
    assert 'name="month" value="2025-12"' in html
    listing = staff_client.get(reverse("admin:vehicles_delivery_changelist")).content.decode()
    assert f'{figure.pk}/change/">2025-12</a></th>' in listing


def test_a_figure_already_stored_under_the_made_slug_is_named(world, staff_client):
    url = reverse("admin:vehicles_delivery_add")
    data = form_data(staff_client.get(url))
    data.update(alliance=world.hima.pk, month="2025-11", units=1)
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "__all__": ["This alliance already has a total for this month."]
    }


def test_a_period_total_gets_the_api_slug(world, staff_client):
    url = reverse("admin:vehicles_deliverytotal_add")
    data = form_data(staff_client.get(url))
    data.update(
        alliance=world.hima.pk,
        first_month="2024-07",
        last_month="2024-12",
        units=250000,
        precision="approximate",
    )
    assert staff_client.post(url, data).status_code == 302
    total = DeliveryTotal.objects.get(slug="hima-2024-07-to-2024-12")
    assert (total.first_month, total.last_month) == (
        datetime.date(2024, 7, 1),
        datetime.date(2024, 12, 1),
    )


def test_a_vehicle_model_left_without_a_slug_gets_the_api_one(world, staff_client):
    url = reverse("admin:vehicles_vehiclemodel_add")
    response = staff_client.get(url)
    assert form_fields(response)[:4] == ["brand", "name", "name_zh", "slug"]
    data = form_data(response)
    data.update(brand=world.aito.pk, name="M9", powertrain="erev")
    data.update({"chip_fittings-TOTAL_FORMS": "0", "chip_fittings-INITIAL_FORMS": "0"})
    assert staff_client.post(url, data).status_code == 302
    assert VehicleModel.objects.get(slug="aito-m9").name == "M9"


def test_an_inline_membership_without_a_slug_gets_the_api_one(world, staff_client):
    url = reverse("admin:partners_alliance_change", args=[world.hima.pk])
    data = add_rows(
        page_data(staff_client.get(url)),
        "memberships",
        [{"brand": world.lynk.pk, "joined_on": "2024-04-01"}],
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, inline_errors(response, "memberships")
    assert AllianceMembership.objects.get(slug="hima-lynk-co").brand == world.lynk


def test_the_brand_group_filter_offers_carmaker_groups_only(world, staff_client):
    response = staff_client.get(reverse("admin:vehicles_brand_changelist"))
    group_filter = next(f for f in response.context["cl"].filter_specs if f.title == "group")
    assert sorted(label for _, label in group_filter.lookup_choices) == [
        "Chery",
        "Geely Holding",
        "Seres Group",
    ]


def test_autocomplete_says_which_permission_is_missing(world, client):
    client.force_login(user_with("vehicles.view_brand", "vehicles.change_brand"))
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "vehicles", "model_name": "brand", "field_name": "group", "term": "Se"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": "",
                "text": "You cannot look up companies: ask an administrator for the "
                "permission “Can view company”.",
                "disabled": True,
            }
        ],
        "pagination": {"more": False},
    }


def test_a_malformed_autocomplete_request_is_still_refused(world, staff_client):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "vehicles", "model_name": "brand", "field_name": "nothing"},
    )
    assert response.status_code == 403


def test_the_permission_denied_page_keeps_the_admin_header_and_a_way_back(world, client):
    client.force_login(user_with("vehicles.view_brand"))
    response = client.get(reverse("admin:vehicles_brand_add"))
    assert response.status_code == 403
    page = response.content.decode()
    home = reverse("admin:index")
    assert f'<div id="site-name"><a href="{home}">Smart-vehicle ecosystem catalog</a></div>' in page
    assert f'<a href="{home}">Back to the admin home page</a>' in page
    assert '<form id="logout-form"' in page
