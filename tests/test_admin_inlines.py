"""Data-entry staff edit a row together with its inline rows (an alliance's members, a
model's chips, a company's shareholders...). A mistake on an inline row, including two
new rows that clash with each other, is shown on that row and nothing is stored; the
admin never answers it with a Server Error."""

import datetime

import pytest
from django.urls import reverse

from partners.models import Alliance, Shareholding
from vehicles.models import AllianceMembership, Partnership, VehicleModel, VehicleModelChip


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def page_data(response):
    """The POST body a browser sends for an admin change page as it was rendered."""
    data = {}
    form = response.context["adminform"].form
    forms = [(form, "")]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({f"{formset.prefix}-{k}": v for k, v in management.initial.items()})
        forms.extend((inline_form, "") for inline_form in formset.forms)
    for each, _ in forms:
        for name in each.fields:
            value = each[name].value()
            if value is None or value is False:
                continue
            key = each.add_prefix(name)
            if isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)
    return data


def add_rows(data, prefix, rows):
    """Append new inline rows to a page's POST body, as 'Add another' does."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    for offset, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{total + offset}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(total + len(rows))
    return data


def change_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def inline_errors(response, prefix):
    """The errors shown on each row of the inline `prefix`, [(row index, [messages])],
    and above its rows."""
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        if formset.prefix == prefix:
            shown = []
            for index, form in enumerate(formset.forms):
                messages = [message for errors in form.errors.values() for message in errors]
                if messages:
                    shown.append((index, messages))
            return shown, list(formset.non_form_errors())
    raise AssertionError(f"no inline {prefix}")


def duplicate_row(index, fields):
    """Django's own report of two rows of one save that share a unique value."""
    return (
        [(index, ["Please correct the duplicate values below."])],
        [f"Please correct the duplicate data for {fields}."],
    )


# (parent, inline prefix, model counted, rows to add, (row errors, errors above the rows))
CASES = {
    "an alliance member listed twice while open": (
        lambda w: w.hima,
        "memberships",
        AllianceMembership,
        lambda w: [
            {"slug": "hima-lynk", "brand": w.lynk.pk, "joined_on": "2024-01-01"},
            {"slug": "hima-lynk-again", "brand": w.lynk.pk, "joined_on": "2024-02-01"},
        ],
        ([(3, ["This brand already has an open membership of this alliance."])], []),
    ),
    "an alliance member open twice beside a stored membership": (
        lambda w: w.hima,
        "memberships",
        AllianceMembership,
        lambda w: [{"slug": "hima-aito-again", "brand": w.aito.pk, "joined_on": "2024-01-01"}],
        ([(2, ["This brand already has an open membership of this alliance."])], []),
    ),
    "an alliance member leaving before joining": (
        lambda w: w.hima,
        "memberships",
        AllianceMembership,
        lambda w: [
            {
                "slug": "hima-lynk",
                "brand": w.lynk.pk,
                "joined_on": "2024-05-01",
                "left_on": "2024-01-01",
            }
        ],
        (
            [
                (
                    2,
                    [
                        "Reversed period: left_on (2024-01-01) is before joined_on (2024-05-01); "
                        "left_on must be on or after joined_on."
                    ],
                )
            ],
            [],
        ),
    ),
    "a chip fitted twice in one role": (
        lambda w: w.m5,
        "chip_fittings",
        VehicleModelChip,
        lambda w: [
            {"chip": w.orin.pk, "role": "adas", "quantity": "2"},
            {"chip": w.orin.pk, "role": "adas", "quantity": "1"},
        ],
        duplicate_row(2, "chip and role, which must be unique"),
    ),
    "a chip fitted again beside its stored fitting": (
        lambda w: w.m5,
        "chip_fittings",
        VehicleModelChip,
        lambda w: [{"chip": w.kirin.pk, "role": "cockpit"}],
        duplicate_row(1, "chip and role, which must be unique"),
    ),
    "no chips fitted": (
        lambda w: w.m5,
        "chip_fittings",
        VehicleModelChip,
        lambda w: [{"chip": w.orin.pk, "role": "adas", "quantity": "0"}],
        ([(1, ["Ensure this value is greater than or equal to 1."])], []),
    ),
    "a company holding shares in itself": (
        lambda w: w.yinwang,
        "shareholders",
        Shareholding,
        lambda w: [{"slug": "yinwang-yinwang", "holder": w.yinwang.pk, "share_percent": "5"}],
        ([(1, ["A company cannot hold shares in itself."])], []),
    ),
    "one shareholding slug on two new rows": (
        lambda w: w.yinwang,
        "shareholders",
        Shareholding,
        lambda w: [
            {"slug": "huawei-yinwang", "holder": w.huawei.pk, "share_percent": "80"},
            {"slug": "huawei-yinwang", "holder": w.chery.pk, "share_percent": "5"},
        ],
        duplicate_row(2, "slug"),
    ),
    "a brand's membership open twice": (
        lambda w: w.lynk,
        "memberships",
        AllianceMembership,
        lambda w: [
            {"slug": "hima-lynk", "alliance": w.hima.pk},
            {"slug": "hima-lynk-2", "alliance": w.hima.pk},
        ],
        ([(1, ["This brand already has an open membership of this alliance."])], []),
    ),
    "a brand's partnership ending before it started": (
        lambda w: w.aito,
        "partnerships",
        Partnership,
        lambda w: [
            {
                "slug": "aito-qualcomm-chip",
                "partner": w.qualcomm.pk,
                "kind": "chip",
                "started_on": "2024-05-01",
                "ended_on": "2024-01-01",
            }
        ],
        (
            [
                (
                    1,
                    [
                        "Reversed period: ended_on (2024-01-01) is before started_on (2024-05-01); "
                        "ended_on must be on or after started_on."
                    ],
                )
            ],
            [],
        ),
    ),
    "one partnership slug on two new rows": (
        lambda w: w.aito,
        "partnerships",
        Partnership,
        lambda w: [
            {"slug": "aito-qualcomm-chip", "partner": w.qualcomm.pk, "kind": "chip"},
            {"slug": "aito-qualcomm-chip", "partner": w.qualcomm.pk, "kind": "ai"},
        ],
        duplicate_row(2, "slug"),
    ),
    "a brand's model named twice": (
        lambda w: w.aito,
        "vehicle_models",
        VehicleModel,
        lambda w: [
            {"slug": "aito-m9", "name": "M9", "powertrain": "erev"},
            {"slug": "aito-m9-erev", "name": "M9", "powertrain": "bev"},
        ],
        duplicate_row(2, "name"),
    ),
    "a brand's model named like a stored one": (
        lambda w: w.aito,
        "vehicle_models",
        VehicleModel,
        lambda w: [{"slug": "aito-m5-bev", "name": "M5", "powertrain": "bev"}],
        duplicate_row(1, "name"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_inline_mistake_is_shown_on_its_row_and_nothing_is_stored(world, staff_client, case):
    parent, prefix, model, rows, expected = CASES[case]
    url = change_url(parent(world))
    data = add_rows(page_data(staff_client.get(url)), prefix, rows(world))
    before = model.objects.count()
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert inline_errors(response, prefix) == expected, inline_errors(response, prefix)
    assert model.objects.count() == before


def test_closing_a_membership_and_opening_the_next_in_one_save_is_accepted(world, staff_client):
    url = change_url(world.hima)
    data = page_data(staff_client.get(url))
    aito_row = next(
        key.rsplit("-", 1)[0]
        for key, value in data.items()
        if key.endswith("-id") and value == str(world.aito_hima.pk)
    )
    data[f"{aito_row}-left_on"] = "2024-12-31"
    add_rows(
        data,
        "memberships",
        [{"slug": "hima-aito-2025", "brand": world.aito.pk, "joined_on": "2025-01-01"}],
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert list(
        AllianceMembership.objects.filter(brand=world.aito).values_list("slug", "left_on")
    ) == [("hima-aito", datetime.date(2024, 12, 31)), ("hima-aito-2025", None)]


def test_a_new_alliance_with_one_brand_open_twice_is_refused(world, staff_client):
    url = reverse("admin:partners_alliance_add")
    data = page_data(staff_client.get(url))
    data.update(name="Shangjie", slug="shangjie", leader=world.huawei.pk, kind="alliance")
    add_rows(
        data,
        "memberships",
        [
            {"slug": "shangjie-aito", "brand": world.aito.pk},
            {"slug": "shangjie-aito-2", "brand": world.aito.pk},
        ],
    )
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert inline_errors(response, "memberships") == (
        [(1, ["This brand already has an open membership of this alliance."])],
        [],
    )
    assert not Alliance.objects.filter(slug="shangjie").exists()
