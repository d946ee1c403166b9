"""A delivery clerk in a real browser imports a spreadsheet of monthly figures in the admin:
the preview names the bad row and why, the clerk uploads the corrected file, confirms, and
the figures are in the API."""

import pytest
from django.contrib.auth.models import Group, User

from catalog.models import ChangeRecord

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Maextro's figures within HIMA (it joined in August 2024); the seed has none of its own.
HEADER = "alliance,brand,month,units,precision,sources\n"
JUNE = "hima,maextro,2025-06,1021,exact,\n"
AUGUST = "hima,maextro,2025-08,1543,exact,\n"
WITH_A_TYPO = HEADER + JUNE + "hima,maextro,2025-13,1166,exact,\n" + AUGUST
CORRECTED = HEADER + JUNE + "hima,maextro,2025-07,1166,exact,\n" + AUGUST


def delivery_clerk(username):
    """A member of the "delivery clerk" group as its migration ships it."""
    user = User.objects.create_user(username=username, password="pw-for-tests", is_staff=True)
    user.groups.add(Group.objects.get(name="delivery clerk"))
    return user


def upload(visit, name, content):
    """Choose the file and its format on the import page and submit it for a preview."""
    page = visit.page
    page.set_input_files(
        "input[name=import_file]",
        files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}],
    )
    page.select_option("select[name=format]", label="csv")
    page.click("form[enctype='multipart/form-data'] input[type=submit]")
    page.wait_for_load_state("networkidle")


def test_a_clerk_fixes_a_bad_row_imports_and_finds_the_figures_in_the_api(seeded_catalog, visit):
    delivery_clerk("wang.fang")
    visit.open("/admin/login/?next=/admin/")
    visit.page.fill("#id_username", "wang.fang")
    visit.page.fill("#id_password", "pw-for-tests")
    visit.page.click("input[type=submit]")
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.url == f"{visit.origin}/admin/"

    visit.open("/admin/vehicles/delivery/")
    visit.page.click("a.import_link")
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.url == f"{visit.origin}/admin/vehicles/delivery/import/"

    upload(visit, "maextro-2025-q3.csv", WITH_A_TYPO)
    page = visit.page
    assert page.locator("#import-totals").inner_text() == (
        "Rows in the file: 2 new, 0 changed, 0 unchanged, 1 invalid."
    )
    invalid = page.locator("table.import-preview tbody tr")
    assert invalid.count() == 1
    assert invalid.locator("td").first.inner_text().strip() == "2"
    errors = invalid.locator(".validation-error-list > li")
    assert errors.count() == 1
    assert errors.locator(".validation-error-field-label").text_content() == "month"
    assert errors.locator("ul li").all_text_contents() == ["Give a month as YYYY-MM, e.g. 2025-11."]
    assert page.locator("input[name=confirm]").count() == 0
    visit.screenshot("admin-import-bad-row")

    upload(visit, "maextro-2025-q3.csv", CORRECTED)
    assert page.locator("#import-totals").inner_text() == (
        "Rows in the file: 3 new, 0 changed, 0 unchanged, 0 invalid."
    )
    rows = page.locator("table.import-preview tr.new")
    assert [rows.nth(i).locator("td").all_inner_texts()[:6] for i in range(rows.count())] == [
        ["New", "hima-maextro-2025-06", "hima", "maextro", "2025-06", "1021"],
        ["New", "hima-maextro-2025-07", "hima", "maextro", "2025-07", "1166"],
        ["New", "hima-maextro-2025-08", "hima", "maextro", "2025-08", "1543"],
    ]
    visit.screenshot("admin-import-preview")
    page.click("input[name=confirm]")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{visit.origin}/admin/vehicles/delivery/"
    assert page.locator("ul.messagelist").inner_text().strip() == (
        "Import finished: 3 new, 0 updated, 0 deleted and 0 skipped deliveries."
    )
    visit.screenshot("admin-import-done")

    answer = page.request.get(
        f"{visit.origin}/api/v1/deliveries/?brand=maextro&ordering=month",
        headers={"Accept": "application/json"},
    )
    assert answer.status == 200
    body = answer.json()
    assert body["count"] == 3
    assert [
        (d["slug"], d["alliance"]["slug"], d["brand"]["slug"], d["month"], d["units"])
        for d in body["results"]
    ] == [
        ("hima-maextro-2025-06", "hima", "maextro", "2025-06", 1021),
        ("hima-maextro-2025-07", "hima", "maextro", "2025-07", 1166),
        ("hima-maextro-2025-08", "hima", "maextro", "2025-08", 1543),
    ]
    records = ChangeRecord.objects.filter(channel="import").order_by("object_slug")
    assert [(r.object_slug, r.action, r.actor_name, r.note) for r in records] == [
        ("hima-maextro-2025-06", "created", "wang.fang", "maextro-2025-q3.csv"),
        ("hima-maextro-2025-07", "created", "wang.fang", "maextro-2025-q3.csv"),
        ("hima-maextro-2025-08", "created", "wang.fang", "maextro-2025-q3.csv"),
    ]
