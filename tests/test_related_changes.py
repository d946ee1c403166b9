"""A change to a row's lists (its sources, a stack's compute chips, a company's roles, a
model's chips) is named on the change record of that row's save, whichever way it was
written: one receiver watches every such relation, so no writer has to remember it."""

import pytest
from django.apps import apps
from django.urls import reverse

from catalog.history import MANY_TO_MANY, PARTS
from catalog.models import ChangeRecord, Source
from partners.models import Company, CompanyRole
from tests.test_admin_inlines import add_rows, page_data
from vehicles.models import Brand


def test_every_list_of_a_logged_row_is_watched(db):
    logged = [model for model in apps.get_models() if hasattr(model, "history")]
    lists = {(model.__name__, field.name) for model in logged for field in model._meta.many_to_many}
    watched = {
        (model.__name__, field.name)
        for model in logged
        for field in model._meta.many_to_many
        if MANY_TO_MANY.get(field.remote_field.through) == field.name
    }
    assert watched == lists
    assert {pair for pair in lists if pair[1] != "sources"} == {
        ("DriverAssistStack", "compute_chips"),
        ("VehicleModel", "chips"),
    }
    assert ("VehicleModelChip", "sources") in lists
    assert {model.__name__: (part.owner.name, part.name) for model, part in PARTS.items()} == {
        "CompanyRole": ("company", "roles"),
        "VehicleModelChip": ("vehicle_model", "chips"),
    }


def test_staff_fitting_a_chip_in_the_admin_is_named_on_the_models_record(world, admin_client):
    ChangeRecord.objects.all().delete()
    url = reverse("admin:vehicles_vehiclemodel_change", args=[world.s7.pk])
    data = add_rows(
        page_data(admin_client.get(url)),
        "chip_fittings",
        [{"chip": str(world.orin.pk), "role": "adas", "quantity": "2", "sources": [world.src.pk]}],
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    records = ChangeRecord.objects.order_by("id")
    assert [(r.content_type.model, r.object_repr, r.changed_fields) for r in records] == [
        ("vehiclemodel", "Luxeed S7", ["chips"]),
        (
            "vehiclemodelchip",
            "2 x Drive Orin-X (Driver assist)",
            ["chip", "quantity", "role", "sources", "vehicle_model"],
        ),
    ]
    assert {(r.channel, r.actor_name) for r in records} == {("admin", "admin")}


def test_staff_changing_a_companys_roles_alone_is_one_record_naming_them(world, admin_client):
    ChangeRecord.objects.all().delete()
    url = reverse("admin:partners_company_change", args=[world.seres.pk])
    data = page_data(admin_client.get(url))
    data["roles"] = ["automaker", "tier1"]
    assert admin_client.post(url, data).status_code == 302
    [record] = ChangeRecord.objects.all()
    assert (record.object_slug, record.action, record.changed_fields) == (
        "seres",
        "changed",
        ["roles"],
    )
    assert sorted(
        CompanyRole.objects.filter(company=world.seres).values_list("role", flat=True)
    ) == [
        "automaker",
        "tier1",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_script_linking_a_source_after_its_own_save_leaves_that_saves_record_alone():
    """Outside a transaction each statement is its own write: a list changed later by a
    script is not merged into a record already written (as before this receiver)."""
    source = Source.objects.create(slug="s", title="S", publisher="P", url="https://e.org/s")
    group = Company.objects.create(slug="seres", name="Seres", country="CN")
    brand = Brand.objects.create(slug="aito", name="AITO", group=group)
    brand.sources.add(source)
    [record] = ChangeRecord.objects.filter(object_slug="aito")
    assert record.changed_fields == ["slug", "name", "group"]
