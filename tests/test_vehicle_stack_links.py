"""A vehicle model's smart-stack links are linked, explicitly unknown with a reason, or unreviewed.

A missing cockpit OS, driver-assist stack or chip list must not read as "none": the catalog
says why it is unknown, refuses a link that is both given and unknown, and lets researchers
filter on the state of each link.
"""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.test_api_write import token_for  # noqa: F401 (fixture)
from vehicles.models import CHIPS_AND_REASON, VehicleModel
from vehicles.seed import SeedError, load_catalog

S7_CHIPS = "No stored source names the S7's cockpit chip."


def slugs(response):
    assert response.status_code == 200, response.content
    return sorted(row["slug"] for row in response.json()["results"])


@pytest.fixture
def s7_chips_unknown(world):
    VehicleModel.objects.filter(slug="luxeed-s7").update(chips_unknown=S7_CHIPS)


def test_a_researcher_reads_why_a_models_chips_are_unknown(s7_chips_unknown, client):
    body = client.get("/api/v1/vehicle-models/luxeed-s7/").json()
    assert (body["chips"], body["chips_unknown"]) == ([], S7_CHIPS)
    assert (body["cockpit_os"]["slug"], body["cockpit_os_unknown"]) == ("harmonyos-cockpit", "")
    assert (body["adas_stack"]["slug"], body["adas_stack_unknown"]) == ("huawei-ads-4", "")


def test_a_researcher_filters_models_by_the_state_of_each_link(s7_chips_unknown, client):
    get = client.get
    assert slugs(get("/api/v1/vehicle-models/?chips_status=unknown")) == ["luxeed-s7"]
    assert slugs(get("/api/v1/vehicle-models/?chips_status=linked")) == ["aito-m5", "lynk-co-08"]
    assert slugs(get("/api/v1/vehicle-models/?chips_status=unreviewed")) == []
    assert slugs(get("/api/v1/vehicle-models/?chips_status=unknown&chips_status=linked")) == [
        "aito-m5",
        "luxeed-s7",
        "lynk-co-08",
    ]
    assert slugs(get("/api/v1/vehicle-models/?cockpit_os_status=unknown")) == []
    assert slugs(get("/api/v1/vehicle-models/?chips_unknown__ic=cockpit%20chip")) == ["luxeed-s7"]


def test_a_model_never_reviewed_is_told_apart_from_an_unknown_one(world, client):
    VehicleModel.objects.filter(slug="aito-m5").update(adas_stack=None)
    assert slugs(client.get("/api/v1/vehicle-models/?adas_stack_status=unreviewed")) == ["aito-m5"]
    assert slugs(client.get("/api/v1/vehicle-models/?chips_status=unreviewed")) == ["luxeed-s7"]


def test_a_researcher_asks_for_models_with_their_whole_stack(s7_chips_unknown, client):
    complete = client.get("/api/v1/vehicle-models/?stack_complete=true")
    assert slugs(complete) == ["aito-m5", "lynk-co-08"]
    assert slugs(client.get("/api/v1/vehicle-models/?stack_complete=false")) == ["luxeed-s7"]


def test_a_link_state_that_does_not_exist_is_a_400_naming_the_choices(world, client):
    response = client.get("/api/v1/vehicle-models/?chips_status=none")
    assert response.status_code == 400
    message = " ".join(response.json()["errors"]["chips_status"])
    assert "none" in message


def test_the_database_refuses_a_cockpit_os_that_is_also_unknown(world):
    with transaction.atomic(), pytest.raises(IntegrityError):
        VehicleModel.objects.filter(slug="aito-m5").update(cockpit_os_unknown="Not published.")
    with transaction.atomic(), pytest.raises(IntegrityError):
        VehicleModel.objects.filter(slug="aito-m5").update(adas_stack_unknown="Not published.")


def patch(client, slug, body, auth):
    return client.patch(
        f"/api/v1/vehicle-models/{slug}/", body, content_type="application/json", **auth
    )


def test_an_editor_cannot_give_chips_and_say_they_are_unknown(world, client, token_for):  # noqa: F811
    auth = token_for("vehicles.change_vehiclemodel")
    both = {"chips": [{"chip": "kirin-990a", "role": "cockpit"}], "chips_unknown": "Unsure."}
    response = patch(client, "luxeed-s7", both, auth)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "chips_unknown": ["Give the chips or the reason they are unknown, not both."]
    }
    # The M5 has a chip already: a reason alone contradicts it.
    response = patch(client, "aito-m5", {"chips_unknown": "Unsure."}, auth)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["chips_unknown"]
    m5 = VehicleModel.objects.get(slug="aito-m5")
    assert (m5.chips_unknown, m5.chip_fittings.count()) == ("", 1)


def test_an_editor_replaces_chips_by_the_reason_they_are_unknown(world, client, token_for):  # noqa: F811
    auth = token_for("vehicles.change_vehiclemodel")
    response = patch(client, "aito-m5", {"chips": [], "chips_unknown": "Trims differ."}, auth)
    assert response.status_code == 200, response.json()
    assert (response.json()["chips"], response.json()["chips_unknown"]) == ([], "Trims differ.")


def test_an_editor_cannot_give_an_adas_stack_and_say_it_is_unknown(world, client, token_for):  # noqa: F811
    auth = token_for("vehicles.change_vehiclemodel")
    response = patch(client, "aito-m5", {"adas_stack_unknown": "Not published."}, auth)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Give the ADAS stack or the reason it is unknown, not both."]
    }
    assert VehicleModel.objects.get(slug="aito-m5").adas_stack_unknown == ""


SEED = """
sources:
  - {slug: s, title: T, publisher: P, url: "https://example.org/s"}
companies:
  - {slug: seres, name: Seres, country: CN, roles: [automaker], sources: [s]}
  - {slug: huawei, name: Huawei, country: CN, roles: [chip_designer], sources: [s]}
chips:
  - {slug: kirin, name: Kirin 990A, designer: huawei, category: cockpit_soc, sources: [s]}
brands:
  - {slug: aito, name: AITO, group: seres, sources: [s]}
vehicle_models:
  - slug: aito-m5
    brand: aito
    name: M5
    powertrain: erev
    chips: [{chip: kirin, role: cockpit}]
    chips_unknown: "Not published."
    sources: [s]
"""


def test_the_seed_refuses_chips_that_are_also_unknown(db, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(SEED)
    with pytest.raises(SeedError, match=r"aito-m5: .*Give the chips or the reason"):
        load_catalog([path])
    assert not VehicleModel.objects.exists()


def test_every_seeded_model_states_each_link_or_why_it_is_unknown(seeded):
    unreviewed = {}
    for model in VehicleModel.objects.prefetch_related("chip_fittings"):
        missing = [
            link
            for link, linked in (
                ("cockpit_os", model.cockpit_os_id),
                ("adas_stack", model.adas_stack_id),
                ("chips", model.chip_fittings.all()),
            )
            if not linked and not getattr(model, f"{link}_unknown")
        ]
        if missing:
            unreviewed[model.slug] = missing
    assert unreviewed == {}


def rendered_post_body(response):
    """What a browser posts back for an admin change page as rendered (inlines included)."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        )
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(item) for item in value]
            else:
                data[form.add_prefix(name)] = str(value)
    return data


def test_staff_cannot_keep_a_models_chips_and_call_them_unknown(world, client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:vehicles_vehiclemodel_change", args=[world.m5.pk])
    data = rendered_post_body(client.get(url))
    data["chips_unknown"] = "Not published."
    response = client.post(url, data)
    assert response.status_code == 200
    chips = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "chip_fittings"
    )
    assert list(chips.non_form_errors()) == [CHIPS_AND_REASON]
    assert VehicleModel.objects.get(pk=world.m5.pk).chips_unknown == ""
    # Removing the chip in the same save is what makes the reason true: accepted.
    data["chip_fittings-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    m5 = VehicleModel.objects.get(pk=world.m5.pk)
    assert (m5.chips_unknown, m5.chip_fittings.count()) == ("Not published.", 0)
