"""Editors and partner apps write through the API with a token and the model permission."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import ApiToken
from partners.models import Company
from tests.conftest import user_with
from vehicles.models import Delivery, VehicleModel


@pytest.fixture
def token_for(db):
    def make(*permissions, username="editor", **kwargs):
        _, raw = ApiToken.issue(
            user=user_with(*permissions, username=username), name="tests", **kwargs
        )
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


def post(client, path, body, auth):
    return client.post(path, body, content_type="application/json", **auth)


def test_anonymous_writes_are_401(world, client):
    response = client.post("/api/v1/brands/", {"name": "X"}, content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "not_authenticated"


def test_a_token_without_the_permission_is_403(world, client, token_for):
    auth = token_for("vehicles.view_brand")
    response = post(client, "/api/v1/brands/", {"name": "Onvo", "group": "seres"}, auth)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("problem", ["wrong", "expired", "revoked"])
def test_a_bad_token_is_401(world, client, token_for, problem):
    if problem == "wrong":
        auth = {"HTTP_AUTHORIZATION": "Bearer not-a-token"}
    else:
        auth = token_for("vehicles.add_brand")
        if problem == "expired":
            ApiToken.objects.filter(name="tests").update(
                expires_at=timezone.now() - datetime.timedelta(days=1)
            )
        else:
            ApiToken.objects.get(name="tests").revoke()
    response = post(client, "/api/v1/brands/", {"name": "Onvo", "group": "seres"}, auth)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid, expired or revoked token."


def test_tokens_are_stored_hashed(world, token_for):
    auth = token_for("vehicles.add_brand")
    raw = auth["HTTP_AUTHORIZATION"].split()[1]
    token = ApiToken.objects.get(name="tests")
    assert raw not in (token.digest, token.prefix)
    assert raw.startswith(token.prefix)


def test_editor_adds_a_brand_by_slugs(world, client, token_for):
    auth = token_for("vehicles.add_brand")
    response = post(
        client,
        "/api/v1/brands/",
        {
            "name": "Luxeed Max",
            "name_zh": "智界Max",
            "group": "chery",
            "launched": 2025,
            "sources": ["test-source"],
        },
        auth,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "luxeed-max"
    assert body["group"]["slug"] == "chery"
    assert [s["slug"] for s in body["sources"]] == ["test-source"]
    assert response["Location"] if response.has_header("Location") else True


def test_editor_adds_a_vehicle_model_with_its_chips(world, client, token_for):
    auth = token_for("vehicles.add_vehiclemodel")
    response = post(
        client,
        "/api/v1/vehicle-models/",
        {
            "brand": "aito",
            "name": "M9",
            "powertrain": "erev",
            "body_type": "suv",
            "cockpit_os": "harmonyos-cockpit",
            "adas_stack": "huawei-ads-4",
            "chips": [
                {"chip": "kirin-990a", "role": "cockpit"},
                {"chip": "orin-x", "role": "adas", "quantity": 2},
            ],
        },
        auth,
    )
    assert response.status_code == 201, response.json()
    m9 = VehicleModel.objects.get(slug="aito-m9")
    # A count the editor does not give is stored as unknown, not as one.
    assert sorted((f.chip.slug, f.role, f.quantity) for f in m9.chip_fittings.all()) == [
        ("kirin-990a", "cockpit", None),
        ("orin-x", "adas", 2),
    ]


def test_editor_updates_and_partially_updates(world, client, token_for):
    auth = token_for("partners.change_company")
    response = client.patch(
        "/api/v1/companies/huawei/",
        {"founded": 1987, "roles": ["os_vendor", "tier1"]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["founded"], response.json()["roles"]) == (1987, ["os_vendor", "tier1"])
    response = client.put(
        "/api/v1/companies/tsmc/",
        {"name": "TSMC", "name_zh": "台积电", "country": "TW", "roles": ["foundry"]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200, response.json()
    assert Company.objects.get(slug="tsmc").name_zh == "台积电"


def test_a_valid_write_is_checked_in_python_and_a_bad_one_by_the_model(world, client, token_for):
    """Each check constraint a valid row meets is shown in Python, not by a query of its
    own; a row that breaks one still gets the constraint's own message."""
    auth = token_for("vehicles.change_vehiclemodel")
    change = {"price_min_cny": 239800, "price_max_cny": 309800, "launched_on": "2022-04-01"}
    with CaptureQueriesContext(connection) as captured:
        response = client.patch(
            "/api/v1/vehicle-models/aito-m5/", change, content_type="application/json", **auth
        )
    assert response.status_code == 200, response.json()
    assert [query["sql"] for query in captured if '"_check"' in query["sql"]] == []
    reversed_prices = {"price_min_cny": 309800, "price_max_cny": 239800}
    response = client.patch(
        "/api/v1/vehicle-models/aito-m5/", reversed_prices, content_type="application/json", **auth
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["The highest price must not be below the lowest."]
    }
    m5 = VehicleModel.objects.get(slug="aito-m5")
    assert (m5.price_min_cny, m5.price_max_cny) == (239800, 309800)


def test_editor_deletes_and_referenced_rows_are_protected(world, client, token_for):
    auth = token_for("vehicles.delete_delivery", "partners.delete_company")
    assert client.delete("/api/v1/deliveries/hima-2025-10/", **auth).status_code == 204
    assert not Delivery.objects.filter(slug="hima-2025-10").exists()
    response = client.delete("/api/v1/companies/seres/", **auth)
    assert response.status_code == 409
    assert response.json() == {
        "status": 409,
        "code": "protected",
        "detail": "Cannot delete company 'seres': 2 other records still refer to it "
        "(partners.shareholding: seres-yinwang; vehicles.brand: aito). Remove or re-point "
        "those references first.",
        "errors": {},
        "references": [
            {"type": "partners.shareholding", "count": 1, "slugs": ["seres-yinwang"]},
            {"type": "vehicles.brand", "count": 1, "slugs": ["aito"]},
        ],
    }
    assert Company.objects.filter(slug="seres").exists()


NEEDS_A_REPORTER = {
    "alliance": ["Give alliance or brand (a slug): one of them is required."],
    "brand": ["Give alliance or brand (a slug): one of them is required."],
}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"alliance": "hima", "month": "2025-11", "units": 1},
            {
                "slug": ["Delivery with this Slug already exists."],
                "non_field_errors": ["This alliance already has a total for this month."],
            },
        ),
        (
            {"alliance": "hima", "month": "2099-01", "units": 1},
            {"month": ["A delivery month cannot be in the future."]},
        ),
        (
            {"alliance": "hima", "month": "2025-13", "units": 1},
            {
                "month": [
                    "Enter a month as YYYY-MM (four-digit year, two-digit month), e.g. 2025-03; got '2025-13'."
                ]
            },
        ),
        (
            {"alliance": "hima", "month": "2025-09", "units": -4},
            {"units": ["Ensure this value is greater than or equal to 0."]},
        ),
        # A missing relation is named, not the slug that would have been made from it.
        ({"month": "2025-09", "units": 4}, NEEDS_A_REPORTER),
        ({"slug": "nobody-2025-09", "month": "2025-09", "units": 4}, NEEDS_A_REPORTER),
        (
            {"alliance": "no-such-alliance", "month": "2025-09", "units": 4},
            {"alliance": ["No alliance with slug 'no-such-alliance'."]},
        ),
        (
            {"alliance": "hima", "month": "2025-09", "units": "many"},
            {"units": ["Expected a whole number, got str."]},
        ),
    ],
)
def test_bad_writes_are_400_naming_the_field_and_change_nothing(
    world, client, token_for, body, errors
):
    auth = token_for("vehicles.add_delivery")
    before = list(Delivery.objects.values_list("slug", "units"))
    response = post(client, "/api/v1/deliveries/", body, auth)
    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert list(Delivery.objects.values_list("slug", "units")) == before


def test_api_and_admin_give_the_same_message(world, client, token_for):
    auth = token_for("vehicles.add_vehiclemodel")
    response = post(
        client,
        "/api/v1/vehicle-models/",
        {
            "brand": "aito",
            "name": "M8",
            "powertrain": "erev",
            "price_min_cny": 400000,
            "price_max_cny": 300000,
        },
        auth,
    )
    assert response.json()["errors"] == {
        "non_field_errors": ["The highest price must not be below the lowest."]
    }


def test_a_failing_nested_write_leaves_nothing_behind(world, client, token_for):
    auth = token_for("vehicles.add_vehiclemodel")
    response = post(
        client,
        "/api/v1/vehicle-models/",
        {
            "brand": "aito",
            "name": "M7",
            "powertrain": "erev",
            "chips": [{"chip": "orin-x", "role": "adas"}, {"chip": "orin-x", "role": "adas"}],
        },
        auth,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"chips": ["orin-x is listed twice in the role adas."]}
    assert not VehicleModel.objects.filter(name="M7").exists()


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "null",
        '"text"',
        "{",
        '{"name": "\\u0000"}',
        '{"launched": 1e400}',
        '{"name": ' + '"x"' * 1 + ', "group": {"nested": [1, [2, [3]]]}}',
        '{"launched": 99999999999999999999999999999}',
    ],
)
def test_hostile_bodies_get_a_4xx(world, client, token_for, body):
    auth = token_for("vehicles.add_brand")
    response = client.post("/api/v1/brands/", body, content_type="application/json", **auth)
    assert 400 <= response.status_code < 500, response.content


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"name": "Onvo", "group": "seres", "launched": "2024"},
            "launched",
            "Expected a whole number, got str.",
        ),
        (
            {"name": "Onvo", "group": "seres", "description": 7},
            "description",
            "Expected a string, got int.",
        ),
        (
            {"name": "Onvo", "group": "seres", "launched": True},
            "launched",
            "Expected a whole number, got bool.",
        ),
        (
            {"name": "Onvo", "group": "seres", "sources": {}},
            "sources",
            'Expected a list of items but got type "dict".',
        ),
        (
            {"name": "Onvo", "group": 12},
            "group",
            "Give the slug of the related object: a string of at most 100 letters, digits,"
            " hyphens or underscores.",
        ),
        # An empty string is not a way of saying null.
        (
            {"name": "Onvo", "group": ""},
            "group",
            "Give the slug of the related object: a string of at most 100 letters, digits,"
            " hyphens or underscores.",
        ),
    ],
)
def test_values_of_the_wrong_json_type_are_refused_not_coerced(
    world, client, token_for, body, field, message
):
    response = post(client, "/api/v1/brands/", body, token_for("vehicles.add_brand"))
    assert response.status_code == 400
    assert response.json()["errors"] == {field: [message]}


def test_an_editor_signed_in_to_the_admin_writes_through_the_api_with_the_csrf_token(world):
    """The session of the admin authenticates API writes too, with the CSRF check."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user_with("vehicles.add_brand", username="clerk"))
    body = {"name": "Luxeed Max", "group": "chery", "launched": 2025, "sources": ["test-source"]}

    refused = browser.post("/api/v1/brands/", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    browser.get("/admin/")  # the admin's pages set the CSRF cookie
    token = browser.cookies["csrftoken"].value
    created = browser.post(
        "/api/v1/brands/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert created.status_code == 201, created.json()
    assert created.json()["slug"] == "luxeed-max"


def test_a_session_with_no_one_signed_in_reads_anonymously_and_writes_nothing(world):
    browser = Client()
    browser.get("/admin/login/")  # a session cookie and a CSRF cookie, no user
    read = browser.get("/api/v1/brands/")
    assert read.status_code == 200
    assert "Cookie" in [part.strip() for part in read["Vary"].split(",")]
    refused = browser.post("/api/v1/brands/", {"name": "X"}, content_type="application/json")
    assert refused.status_code == 401
    assert refused.json()["code"] == "not_authenticated"
