"""A partner app pushes a month's figures in one request: a list body to a list
endpoint creates (or, for stored slugs, updates) every row, or none of them, with each
refused item's errors under its position in the list."""

import datetime
import json

import pytest

from catalog.models import ChangeRecord
from tests.conftest import deleted_meanwhile
from tests.test_api_write import token_for  # noqa: F401  (fixture)
from vehicles.models import Delivery

URL = "/api/v1/deliveries/"


def post(client, body, auth):
    return client.post(URL, json.dumps(body), content_type="application/json", **auth)


@pytest.fixture
def clerk_auth(token_for):  # noqa: F811
    return token_for("vehicles.add_delivery", "vehicles.change_delivery", username="partner")


def test_a_partner_app_creates_a_months_figures_in_one_request(world, client, clerk_auth):
    body = [
        {"alliance": "hima", "month": "2025-09", "units": 52916},
        {"alliance": "hima", "brand": "aito", "month": "2025-09", "units": 40000},
        {"alliance": "hima", "brand": "luxeed", "month": "2025-09", "units": 9000},
    ]
    response = post(client, body, clerk_auth)
    assert response.status_code == 201, response.json()
    assert [(row["slug"], row["units"]) for row in response.json()] == [
        ("hima-2025-09", 52916),
        ("hima-aito-2025-09", 40000),
        ("hima-luxeed-2025-09", 9000),
    ]
    assert Delivery.objects.filter(month="2025-09-01").count() == 3
    assert ChangeRecord.objects.filter(channel="api", action="created").count() == 3


def test_stored_slugs_are_updated_and_the_answer_is_200(world, client, clerk_auth):
    body = [
        {"slug": "hima-2025-11", "alliance": "hima", "month": "2025-11", "units": 81900},
        {"alliance": "hima", "month": "2025-09", "units": 52916},
    ]
    response = post(client, body, clerk_auth)
    assert response.status_code == 200, response.json()
    assert Delivery.objects.get(slug="hima-2025-11").units == 81900
    assert Delivery.objects.get(slug="hima-2025-09").units == 52916


def test_one_bad_item_refuses_the_request_naming_each_bad_position(world, client, clerk_auth):
    before = Delivery.objects.count()
    body = [
        {"alliance": "hima", "month": "2025-09", "units": 52916},
        {"alliance": "hima", "month": "2025-9", "units": 1},
        {"alliance": "hima", "month": "2025-09", "units": 2},
        "not an object",
    ]
    response = post(client, body, clerk_auth)
    assert response.status_code == 400
    answer = response.json()
    assert (answer["status"], answer["detail"]) == (400, "Invalid input: 1, 2, 3.")
    assert sorted(answer["errors"]) == ["1", "2", "3"]
    assert [message.split(":")[0] for message in answer["errors"]["1"]] == ["month"]
    assert (
        "non_field_errors: This alliance already has a total for this month."
        in (answer["errors"]["2"])
    )
    assert answer["errors"]["3"] == ["non_field_errors: Expected an object."]
    assert Delivery.objects.count() == before


def test_updating_in_bulk_needs_the_change_permission(world, client, token_for):  # noqa: F811
    auth = token_for("vehicles.add_delivery", username="adder")
    body = [{"slug": "hima-2025-11", "alliance": "hima", "month": "2025-11", "units": 1}]
    response = post(client, body, auth)
    assert response.status_code == 403
    assert Delivery.objects.get(slug="hima-2025-11").units == 81864


def test_an_empty_or_oversized_list_is_refused(world, client, clerk_auth):
    assert post(client, [], clerk_auth).json()["errors"] == {
        "non_field_errors": ["Send at least one item."]
    }
    many = [{"alliance": "hima", "month": "2025-09", "units": 1}] * 501
    assert post(client, many, clerk_auth).json()["errors"] == {
        "non_field_errors": ["Send at most 500 items at once."]
    }


@pytest.mark.django_db(transaction=True)
def test_a_figure_deleted_while_it_is_pushed_again_is_made_anew(
    world, client, clerk_auth, on_postgres
):
    """A partner app pushes a figure while someone deletes it: the push waits for the
    deletion and then makes the figure again as new (201), instead of writing the deleted
    row back under its old id as an update."""
    figure = Delivery.objects.create(
        alliance=world.hima, month=datetime.date(2024, 3, 1), units=100, slug="hima-2024-03"
    )
    # Once first, so the push below is not slowed by the process's first request.
    warm_up = [{"alliance": "hima", "month": "2024-02", "units": 1}]
    assert post(client, warm_up, clerk_auth).status_code == 201
    body = [{"slug": "hima-2024-03", "alliance": "hima", "month": "2024-03", "units": 120}]
    with deleted_meanwhile(figure):
        response = post(client, body, clerk_auth)
    assert response.status_code == 201, response.json()
    again = Delivery.objects.get(slug="hima-2024-03")
    assert (again.units, again.pk != figure.pk) == (120, True)
