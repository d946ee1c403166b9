"""Every write follows the same rules on every resource, nested objects included: a number
is a JSON number, a key that is not a field is named and refused, a name holds nothing a
reader cannot see, and a deal has two sides. A refused write is a 400 that says what is
wrong and what is accepted, and it changes nothing."""

import pytest
from django.db import IntegrityError, transaction
from rest_framework import serializers

from catalog.models import ApiToken, Source
from catalog.serializers import CatalogSerializer
from catalog.urls import router
from partners.models import Chip, Shareholding
from vehicles.models import Partnership, VehicleModel

INVISIBLE = "Remove the invisible characters (U+200B): a name must read as it is stored."


@pytest.fixture
def chief(db, django_user_model):
    """A token of a superuser: every write is allowed, so only the rules refuse."""
    user = django_user_model.objects.create_superuser("chief", "chief@example.org", "pw")
    _, raw = ApiToken.issue(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def send(client, method, path, body, auth):
    return getattr(client, method)(path, body, content_type="application/json", **auth)


def writable_resources():
    """(URL prefix, serializer class) of every resource the API writes."""
    return [
        (prefix, viewset.serializer_class)
        for prefix, viewset, _ in router.registry
        if issubclass(getattr(viewset, "serializer_class", object), CatalogSerializer)
        and "create" in dir(viewset)
    ]


NUMBERS = {
    serializers.IntegerField: "a whole number",
    serializers.DecimalField: "a number",
    serializers.FloatField: "a number",
}


def expected_number(field):
    return next((text for kind, text in NUMBERS.items() if isinstance(field, kind)), None)


def numeric_fields():
    """(prefix, serializer class, field name, what it expects) of every writable number
    at the top of a resource."""
    found = []
    for prefix, serializer_class in writable_resources():
        for name, field in serializer_class().fields.items():
            expected = expected_number(field)
            if expected and not field.read_only:
                found.append(pytest.param(prefix, serializer_class, name, expected, id=name))
    return found


# -- 1. A number is a number: no string, not even an empty one, stands in for null ------


def test_an_empty_string_does_not_erase_a_stake(world, client, chief):
    """An importer sends "" for a stake its spreadsheet left blank: the 10% stays."""
    for sent in ("", "  ", "12.5"):
        response = send(
            client,
            "patch",
            "/api/v1/shareholdings/seres-yinwang/",
            {"share_percent": sent},
            chief,
        )
        assert response.status_code == 400
        assert response.json()["errors"] == {"share_percent": ["Expected a number, got str."]}
    assert Shareholding.objects.get(slug="seres-yinwang").share_percent == 10
    # null is how a figure is cleared, as the schema says.
    cleared = send(
        client, "patch", "/api/v1/shareholdings/seres-yinwang/", {"share_percent": None}, chief
    )
    assert cleared.status_code == 200
    assert cleared.json()["share_percent"] is None


@pytest.mark.parametrize(("prefix", "serializer_class", "name", "expected"), numeric_fields())
@pytest.mark.parametrize("sent", ["", "   ", "12.5", "7"])
def test_every_number_refuses_every_string(
    world, client, chief, prefix, serializer_class, name, expected, sent
):
    model = serializer_class.Meta.model
    row = model._default_manager.exclude(**{name: None}).first() or model._default_manager.first()
    source = serializer_class().fields[name].source
    before = getattr(row, source)
    response = send(client, "patch", f"/api/v1/{prefix}/{row.slug}/", {name: sent}, chief)
    assert response.status_code == 400
    assert response.json()["errors"] == {name: [f"Expected {expected}, got str."]}
    row.refresh_from_db()
    assert getattr(row, source) == before


def test_numbers_are_found_on_every_resource_that_has_them():
    """The test above covers what it should: the numbers of chips, stakes, prices..."""
    names = {(param.values[0], param.values[2]) for param in numeric_fields()}
    assert {
        ("shareholdings", "share_percent"),
        ("chips", "ai_tops"),
        ("chips", "process_nm"),
        ("vehicle-models", "price_min_cny"),
        ("deliveries", "units"),
        ("brands", "launched"),
    } <= names


def test_a_chip_count_inside_a_vehicle_model_refuses_a_string_too(world, client, chief):
    response = send(
        client,
        "patch",
        "/api/v1/vehicle-models/aito-m5/",
        {"chips": [{"chip": "kirin-990a", "role": "cockpit", "quantity": ""}]},
        chief,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "chips": ["0: quantity: Expected a whole number, got str."]
    }
    assert list(world.m5.chip_fittings.values_list("chip__slug", "role", "quantity")) == [
        ("kirin-990a", "cockpit", None)
    ]


# -- 2. A key that is not a field is refused, inside nested objects too ------------------

NEW_MODEL = {"brand": "aito", "name": "M7", "powertrain": "erev"}
CHIP_KEYS = "chip, quantity, role"


@pytest.mark.parametrize(
    ("item", "key"),
    [
        ({"chip": "kirin-990a", "role": "cockpit", "quantity": 1, "bogus": 5}, "bogus"),
        ({"chip": "kirin-990a", "role": "cockpit", "sources": ["test-source"]}, "sources"),
    ],
)
def test_an_unknown_key_in_a_chip_is_refused_naming_where_it_is(world, client, chief, item, key):
    response = send(
        client,
        "post",
        "/api/v1/vehicle-models/",
        {**NEW_MODEL, "chips": [{"chip": "orin-x", "role": "adas"}, item]},
        chief,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "chips": [
            f"Unknown field chips[1].{key}. Fields that can be written in chips[1]: {CHIP_KEYS}."
        ]
    }
    assert not VehicleModel.objects.filter(name="M7").exists()


def test_a_chip_list_with_an_unknown_key_changes_nothing(world, client, chief):
    response = send(
        client,
        "patch",
        "/api/v1/vehicle-models/lynk-co-08/",
        {"chips": [{"chip": "orin-x", "role": "adas", "quantity": 1, "qty": 4}]},
        chief,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "chips": [
            f"Unknown field chips[0].qty. Fields that can be written in chips[0]: {CHIP_KEYS}."
        ]
    }
    assert sorted(world.lynk08.chip_fittings.values_list("chip__slug", "role", "quantity")) == [
        ("orin-x", "adas", 2),
        ("sa8295p", "cockpit", 1),
    ]


def test_a_chip_list_with_only_known_keys_is_written(world, client, chief):
    response = send(
        client,
        "post",
        "/api/v1/vehicle-models/",
        {**NEW_MODEL, "chips": [{"chip": "orin-x", "role": "adas", "quantity": 2}]},
        chief,
    )
    assert response.status_code == 201, response.json()
    assert [(c["chip"]["slug"], c["role"], c["quantity"]) for c in response.json()["chips"]] == [
        ("orin-x", "adas", 2)
    ]


def nested_fields():
    """(serializer class, field name, nested serializer) of every nested object a
    resource writes."""
    return [
        (serializer_class, name, field)
        for _, serializer_class in writable_resources()
        for name, field in serializer_class().fields.items()
        if isinstance(field, serializers.BaseSerializer) and not field.read_only
    ]


def test_every_nested_object_of_every_resource_refuses_unknown_keys(db):
    """The rule is one, whatever the nested serializer: each found is checked."""
    found = nested_fields()
    assert [(cls.__name__, name) for cls, name, _ in found] == [("VehicleModelSerializer", "chips")]
    for serializer_class, name, field in found:
        many = isinstance(field, serializers.ListSerializer)
        where = f"{name}[0]" if many else name
        item = {"bogus": 1}
        serializer = serializer_class(data={name: [item] if many else item}, partial=True)
        assert not serializer.is_valid()
        child = field.child if many else field
        accepted = ", ".join(sorted(n for n, f in child.fields.items() if not f.read_only))
        assert serializer.errors[name] == [
            f"Unknown field {where}.bogus. Fields that can be written in {where}: {accepted}."
        ]


def test_an_unknown_top_level_key_is_still_refused_as_before(world, client, chief):
    response = send(client, "post", "/api/v1/vehicle-models/", {**NEW_MODEL, "bogus": 1}, chief)
    assert response.status_code == 400
    [message] = response.json()["errors"]["bogus"]
    assert message.startswith("Unknown field. Fields that can be written: adas_stack, ")


# -- 3. A name holds nothing a reader cannot see -----------------------------------------


@pytest.mark.parametrize("name", ["Zq\u200b77", "\u200b", "M\u200b5"])
def test_a_vehicle_model_name_with_an_invisible_character_is_refused(world, client, chief, name):
    """M5 with a zero-width space inside would make aito-m5, the M5's slug: the name is
    what is wrong, and only that is said."""
    before = VehicleModel.objects.count()
    response = send(client, "post", "/api/v1/vehicle-models/", {**NEW_MODEL, "name": name}, chief)
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": [INVISIBLE]}
    assert VehicleModel.objects.count() == before


def test_a_vehicle_model_is_not_renamed_with_an_invisible_character(world, client, chief):
    response = send(
        client, "patch", "/api/v1/vehicle-models/aito-m5/", {"name_zh": "问界\u200bM5"}, chief
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"name_zh": [INVISIBLE]}
    world.m5.refresh_from_db()
    assert (world.m5.name, world.m5.name_zh) == ("M5", "")


def test_a_valid_vehicle_model_name_is_written_as_before(world, client, chief):
    response = send(
        client, "post", "/api/v1/vehicle-models/", {**NEW_MODEL, "name_zh": "问界M7"}, chief
    )
    assert response.status_code == 201
    assert (response.json()["slug"], response.json()["name"], response.json()["name_zh"]) == (
        "aito-m7",
        "M7",
        "问界M7",
    )


def test_a_brand_name_with_an_invisible_character_is_refused_for_that_alone(world, client, chief):
    """AITO with a zero-width space inside makes the slug aito, AITO's: only the name is
    said to be wrong."""
    response = send(
        client, "post", "/api/v1/brands/", {"name": "AI\u200bTO", "group": "seres"}, chief
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": [INVISIBLE]}


def test_a_slug_made_from_valid_fields_still_clashes(world, client, chief):
    """The M5 again, under its own name: its slug is taken, and that is said."""
    response = send(client, "post", "/api/v1/vehicle-models/", {**NEW_MODEL, "name": "M5"}, chief)
    assert response.status_code == 400
    assert response.json()["errors"]["slug"] == ["Vehicle model with this Slug already exists."]


@pytest.mark.parametrize("field", ["title", "publisher"])
def test_a_source_title_or_publisher_with_an_invisible_character_is_refused(
    world, client, chief, field
):
    body = {
        "slug": "hidden",
        "title": "HIMA 2026",
        "publisher": "Example Press",
        "link": "https://example.org/hidden",
        field: "\u200b",
    }
    response = send(client, "post", "/api/v1/sources/", body, chief)
    assert response.status_code == 400
    assert response.json()["errors"] == {field: [INVISIBLE]}
    assert not Source.objects.filter(slug="hidden").exists()


# -- 4. A deal has two sides --------------------------------------------------------------

OWN_PARTNER = {"non_field_errors": ["A company cannot be its own partner."]}


def test_a_group_cannot_be_its_own_partner(world, client, chief):
    before = Partnership.objects.count()
    response = send(
        client,
        "post",
        "/api/v1/partnerships/",
        {"carmaker": "seres", "partner": "seres", "kind": "telecom"},
        chief,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == OWN_PARTNER
    assert Partnership.objects.count() == before


def test_a_deal_is_not_turned_into_a_self_partnership(world, client, chief):
    response = send(
        client,
        "patch",
        "/api/v1/partnerships/geely-china-mobile/",
        {"partner": "geely-holding"},
        chief,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == OWN_PARTNER
    assert Partnership.objects.get(slug="geely-china-mobile").partner.slug == "china-mobile"


def test_the_database_refuses_a_self_partnership_whatever_path_it_comes_by(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Partnership.objects.create(
            slug="seres-seres-telecom", carmaker=world.seres, partner=world.seres, kind="telecom"
        )


def test_a_chip_figure_is_kept_when_a_string_is_sent(world, client, chief):
    """The report's example: `ai_tops: ""` on a chip."""
    response = send(client, "patch", "/api/v1/chips/kirin-990a/", {"ai_tops": ""}, chief)
    assert response.status_code == 400
    assert response.json()["errors"] == {"ai_tops": ["Expected a number, got str."]}
    assert str(Chip.objects.get(slug="kirin-990a").ai_tops) == "3.5"
