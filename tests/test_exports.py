"""Researchers take the data away whole: streamed exports of every list, and the catalog
as a Frictionless data package."""

import csv
import io
import json
import zipfile

import frictionless
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.exports import CHUNK_ROWS
from vehicles.models import Brand

CATALOG_LISTS = [
    "sources",
    "companies",
    "shareholdings",
    "operating-systems",
    "chips",
    "driver-assist-stacks",
    "alliances",
    "brands",
    "vehicle-models",
    "partnerships",
    "alliance-memberships",
    "deliveries",
    "delivery-totals",
]


def body(response):
    return b"".join(response.streaming_content).decode()


def many_brands(world, count):
    Brand.objects.bulk_create(
        Brand(slug=f"brand-{i:03}", name=f"Brand {i:03}", group=world.geely) for i in range(count)
    )


def test_a_researcher_exports_every_filtered_brand_as_csv_not_just_a_page(world, client):
    many_brands(world, 60)
    response = client.get("/api/v1/brands/export/?group=geely-holding&format=csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="brands.csv"'
    text = body(response)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    listed = client.get("/api/v1/brands/?group=geely-holding&limit=1000").json()
    assert listed["count"] == 61
    assert [row["slug"] for row in rows] == [row["slug"] for row in listed["results"]]
    assert rows[-1]["slug"] == "lynk-co"  # the list's order: by name
    assert rows[-1]["group"] == "geely-holding"


def test_json_lines_carry_each_row_as_the_list_writes_it(world, client):
    response = client.get(
        "/api/v1/partnerships/export/?ordering=-started_on", HTTP_ACCEPT="application/jsonl"
    )
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    lines = body(response).splitlines()
    listed = client.get("/api/v1/partnerships/?ordering=-started_on").json()["results"]
    assert [json.loads(line) for line in lines] == listed
    assert [json.loads(line)["slug"] for line in lines] == [
        "aito-huawei-ads",
        "lynk-co-nvidia",
        "geely-china-mobile",
    ]


def test_a_formula_in_a_cell_is_neutralised_in_the_export(world, client):
    world.aito.description = '=HYPERLINK("https://evil.example","x")'
    world.aito.save()
    text = body(client.get("/api/v1/brands/export/?slug=aito"))
    row = next(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["description"] == '\'=HYPERLINK("https://evil.example","x")'


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("format=json", "format", "Accepted: csv, jsonl"),
        ("limit=10", "limit", "limit"),
        ("grup=seres", "grup", "grup"),
        ("group=no-such-group", "group", "no-such-group"),
    ],
)
def test_a_bad_export_request_is_a_json_400_naming_the_parameter(
    world, client, query, parameter, message
):
    response = client.get(f"/api/v1/brands/export/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert message in json.dumps(response.json(), ensure_ascii=False)
    assert parameter in json.dumps(response.json())


def test_an_export_takes_as_many_queries_for_many_rows_as_for_two(world, client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            body(client.get("/api/v1/brands/export/?format=jsonl"))
        return len(captured)

    few = queries()
    many_brands(world, min(100, CHUNK_ROWS - 10))
    assert queries() == few


def test_a_paged_csv_says_it_is_a_page(world, client):
    many_brands(world, 5)
    response = client.get("/api/v1/brands/?limit=3&offset=3&format=csv")
    assert response["X-Total-Count"] == "8"
    assert response["Link"] == (
        '<http://testserver/api/v1/brands/?format=csv&limit=3&offset=6>; rel="next", '
        '<http://testserver/api/v1/brands/?format=csv&limit=3>; rel="prev"'
    )
    last = client.get("/api/v1/brands/?limit=3&offset=6")
    assert last["Link"] == '<http://testserver/api/v1/brands/?limit=3&offset=3>; rel="prev"'
    assert last["X-Total-Count"] == "8"


def read_package(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    package = json.loads(archive.read("datapackage.json"))
    tables = {
        resource["name"]: list(csv.DictReader(io.StringIO(archive.read(resource["path"]).decode())))
        for resource in package["resources"]
    }
    return archive, package, tables


def test_the_whole_catalog_downloads_as_one_data_package(world, client):
    response = client.get("/api/v1/datapackage.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    _, package, tables = read_package(b"".join(response.streaming_content))
    assert [resource["name"] for resource in package["resources"]][: len(CATALOG_LISTS)] == (
        CATALOG_LISTS
    )
    brands = package["resources"][CATALOG_LISTS.index("brands")]
    assert brands["schema"]["primaryKey"] == ["slug"]
    assert {"fields": "group", "reference": {"resource": "companies", "fields": "slug"}} in brands[
        "schema"
    ]["foreignKeys"]
    types = {field["name"]: field["type"] for field in brands["schema"]["fields"]}
    assert types["launched"] == "integer"
    assert types["created"] == "datetime"
    deliveries = package["resources"][CATALOG_LISTS.index("deliveries")]
    assert {field["name"]: field["type"] for field in deliveries["schema"]["fields"]}[
        "month"
    ] == "yearmonth"
    companies = package["resources"][CATALOG_LISTS.index("companies")]
    assert {"fields": "parent", "reference": {"resource": "", "fields": "slug"}} in companies[
        "schema"
    ]["foreignKeys"]
    assert "publishers' own terms" in package["sourcesNote"]
    assert [row["slug"] for row in tables["brands"]] == ["aito", "luxeed", "lynk-co"]
    assert tables["brands"][0]["group"] == "seres"
    assert tables["brands"][0]["sources"] == "test-source"
    assert "url" not in tables["brands"][0]
    listed = client.get("/api/v1/deliveries/?ordering=slug").json()["results"]
    assert [(row["slug"], row["month"], int(row["units"])) for row in tables["deliveries"]] == [
        (row["slug"], row["month"], row["units"]) for row in listed
    ]


def test_frictionless_validates_the_data_package(world, tmp_path):
    call_command("export_datapackage", str(tmp_path / "catalog.zip"), stdout=io.StringIO())
    with zipfile.ZipFile(tmp_path / "catalog.zip") as archive:
        archive.extractall(tmp_path / "package")
    report = frictionless.validate(str(tmp_path / "package" / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "message"])
    assert report.stats["tasks"] >= len(CATALOG_LISTS)


def test_a_broken_reference_would_fail_frictionless(world, tmp_path):
    """The validation is real: a brand naming a group not in companies.csv is caught."""
    call_command("export_datapackage", str(tmp_path / "catalog.zip"), stdout=io.StringIO())
    with zipfile.ZipFile(tmp_path / "catalog.zip") as archive:
        archive.extractall(tmp_path / "package")
    brands = tmp_path / "package" / "data" / "brands.csv"
    brands.write_text(brands.read_text().replace(",seres,", ",no-such-group,"))
    report = frictionless.validate(str(tmp_path / "package" / "datapackage.json"))
    assert not report.valid
    assert [error[2] for error in report.flatten(["resourceName", "rowNumber", "type"])] == [
        "foreign-key"
    ]


def test_the_data_package_takes_no_parameters(world, client):
    response = client.get("/api/v1/datapackage.zip?resource=brands")
    assert response.status_code == 400
    assert response.json()["errors"] == {"resource": ["Unknown query parameter. Accepted: format."]}
