"""Researchers query the catalog: precise filters, strict parameters, pages and CSV."""

import csv
import io

import pytest


def slugs(response):
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


@pytest.fixture
def api(client):
    return client


def test_the_api_root_lists_every_resource(world, api):
    assert sorted(api.get("/api/v1/").json()) == [
        "alliance-memberships",
        "alliances",
        "brands",
        "changes",
        "chips",
        "companies",
        "deliveries",
        "delivery-gaps",
        "delivery-totals",
        "driver-assist-stacks",
        "insights/audit",
        "insights/deliveries",
        "insights/dependencies",
        "insights/exposure",
        "insights/graph",
        "operating-systems",
        "partnerships",
        "shareholdings",
        "sources",
        "vehicle-models",
    ]


def test_a_vehicle_model_shows_its_stack_as_summaries_with_sources(world, api):
    body = api.get("/api/v1/vehicle-models/lynk-co-08/").json()
    assert body["brand"] == {
        "slug": "lynk-co",
        "name": "Lynk & Co",
        "url": "http://testserver/api/v1/brands/lynk-co/",
    }
    assert body["cockpit_os"]["slug"] == "flyme-auto"
    assert body["adas_stack"]["slug"] == "nvidia-pilot"
    assert [(c["chip"]["slug"], c["role"], c["quantity"]) for c in body["chips"]] == [
        ("orin-x", "adas", 2),
        ("sa8295p", "cockpit", 1),
    ]
    assert (body["price_min_cny"], body["price_max_cny"]) == (208800, 265800)


def test_every_fact_carries_its_sources(world, api):
    body = api.get("/api/v1/deliveries/hima-2025-11/").json()
    assert body["units"] == 81864
    assert body["month"] == "2025-11"
    assert body["sources"] == [
        {
            "slug": "test-source",
            "title": "HIMA deliveries",
            "publisher": "Example Press",
            "published_on": "2025-12-01",
            "link": "https://example.org/hima",
            "url": "http://testserver/api/v1/sources/test-source/",
        }
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("group=seres", ["aito"]),
        ("group=seres&group=chery", ["aito", "luxeed"]),
        ("alliance=hima", ["aito", "luxeed"]),
        ("alliance__n=hima", ["lynk-co"]),
        ("os_vendor=huawei", ["aito", "luxeed"]),
        ("os_vendor=meizu", ["lynk-co"]),
        ("adas_supplier=huawei", ["aito", "luxeed"]),
        ("adas_stack=huawei-ads-4", ["aito", "luxeed"]),
        ("chip=orin-x", ["lynk-co"]),
        ("chip_designer=huawei", ["aito"]),
        ("chip_designer_country=US", ["lynk-co"]),
        ("chip_designer_country__n=US", ["aito", "luxeed"]),
        ("launched__gte=2021", ["aito", "luxeed"]),
        ("launched__lt=2021", ["lynk-co"]),
        ("q=问界", ["aito"]),
        ("q=lux", ["luxeed"]),
        ("name__isw=ly", ["lynk-co"]),
        ("partner=china-mobile", []),
        ("partner=nvidia", ["lynk-co"]),
    ],
)
def test_researcher_filters_brands(world, api, query, expected):
    assert slugs(api.get(f"/api/v1/brands/?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("brand=aito", ["aito-m5"]),
        ("group=geely-holding", ["lynk-co-08"]),
        ("powertrain=bev&powertrain=erev", ["aito-m5", "luxeed-s7"]),
        ("powertrain__n=phev", ["aito-m5", "luxeed-s7"]),
        ("cockpit_os=harmonyos-cockpit", ["aito-m5", "luxeed-s7"]),
        ("adas_stack=nvidia-pilot", ["lynk-co-08"]),
        ("chip=kirin-990a", ["aito-m5"]),
        ("chip_designer_country=US", ["lynk-co-08"]),
        ("chip_role=adas", ["lynk-co-08"]),
        ("price_min_cny__gte=220000", ["aito-m5", "luxeed-s7"]),
        ("price_max_cny__lte=270000", ["lynk-co-08"]),
        ("price_cny=300000", ["luxeed-s7"]),
        ("launched_on__gte=2023-01-01&launched_on__lte=2023-10-31", ["lynk-co-08"]),
        ("alliance=hima&body_type=sedan", ["luxeed-s7"]),
    ],
)
def test_researcher_filters_vehicle_models(world, api, query, expected):
    assert slugs(api.get(f"/api/v1/vehicle-models/?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("active_on=2024-06-30", ["aito-huawei-ads", "geely-china-mobile", "lynk-co-nvidia"]),
        ("active_on=2025-01-01", ["aito-huawei-ads", "geely-china-mobile"]),
        ("active_on=2019-01-01", []),
        ("kind=telecom", ["geely-china-mobile"]),
        ("partner_country=US", ["lynk-co-nvidia"]),
        ("brand=aito", ["aito-huawei-ads"]),
        ("carmaker=geely-holding", ["geely-china-mobile"]),
        ("group=geely-holding", ["geely-china-mobile", "lynk-co-nvidia"]),
        ("ended_on__isnull=true", ["aito-huawei-ads", "geely-china-mobile"]),
    ],
)
def test_researcher_asks_who_supplied_whom_when(world, api, query, expected):
    assert slugs(api.get(f"/api/v1/partnerships/?{query}")) == expected


def test_memberships_active_on_a_date(world, api):
    assert slugs(api.get("/api/v1/alliance-memberships/?alliance=hima&active_on=2022-06-01")) == [
        "hima-aito"
    ]
    assert slugs(api.get("/api/v1/alliance-memberships/?active_on=2024-01-01")) == [
        "hima-aito",
        "hima-luxeed",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "alliance=hima&brand__isnull=true&month__gte=2025-11",
            [("hima-2025-12", 89611), ("hima-2025-11", 81864)],
        ),
        ("brand=aito", [("hima-aito-2025-11", 51677)]),
        ("month=2025-10", [("hima-2025-10", 68216)]),
        ("units__gt=80000&units__lt=85000", [("hima-2025-11", 81864)]),
        ("month__lte=2025-10&month__gte=2025-10", [("hima-2025-10", 68216)]),
    ],
)
def test_researcher_filters_deliveries_by_month_range(world, api, query, expected):
    rows = api.get(f"/api/v1/deliveries/?{query}").json()["results"]
    assert [(row["slug"], row["units"]) for row in rows] == expected


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("companies", "role=chip_designer", ["huawei", "nvidia", "qualcomm"]),
        ("companies", "role=automaker&country=CN", ["chery", "geely-holding", "seres"]),
        ("companies", "country__n=CN", ["nvidia", "qualcomm", "tsmc"]),
        ("companies", "parent=huawei", ["yinwang"]),
        ("companies", "q=引望", ["yinwang"]),
        ("chips", "designer=nvidia", ["orin-x"]),
        ("chips", "designer_country=US", ["orin-x", "sa8295p"]),
        ("chips", "category=cockpit_soc", ["kirin-990a", "sa8295p"]),
        ("chips", "process_nm__lte=5", ["sa8295p"]),
        ("chips", "ai_tops__gte=30", ["orin-x", "sa8295p"]),
        ("chips", "tops__lt=10", ["kirin-990a"]),
        ("chips", "process_nm__isnull=true", ["kirin-990a"]),
        ("driver-assist-stacks", "urban_noa=true", ["huawei-ads-4"]),
        ("driver-assist-stacks", "compute_chip=orin-x", ["nvidia-pilot"]),
        ("operating-systems", "base=openharmony", ["harmonyos-cockpit"]),
        ("shareholdings", "holder=seres", ["seres-yinwang"]),
    ],
)
def test_researcher_filters_companies_chips_and_stacks(world, api, path, query, expected):
    assert sorted(slugs(api.get(f"/api/v1/{path}/?{query}"))) == expected


def test_ordering_on_documented_fields(world, api):
    assert slugs(api.get("/api/v1/chips/?ordering=-ai_tops")) == ["orin-x", "sa8295p", "kirin-990a"]
    assert slugs(api.get("/api/v1/deliveries/?ordering=units&brand__isnull=true")) == [
        "hima-2025-10",
        "hima-2025-11",
        "hima-2025-12",
    ]


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("colour=red", "colour", "Unknown query parameter. Accepted: "),
        ("brnad=aito", "brnad", "Unknown query parameter. Accepted: "),
        ("group=no-such-group", "group", "No company with slug 'no-such-group'."),
        (
            "launched=twenty",
            "launched",
            "Enter a whole number in ASCII digits, e.g. 2021 (no sign, spaces or separators).",
        ),
        (
            "launched__gte=99999999999999999999999",
            "launched__gte",
            "Ensure this value is less than or equal to",
        ),
        ("limit=-1", "limit", "Must be a whole number from 1 to 1000."),
        ("limit=5000", "limit", "Must be a whole number from 1 to 1000."),
        ("offset=abc", "offset", "Must be a whole number from 0 to"),
        ("ordering=colour", "ordering", "Cannot order by colour. Accepted: slug, -slug"),
        ("format=xml", "format", "Unknown format 'xml'. Accepted: json, api, csv."),
        ("format=", "format", "Unknown format ''. Accepted: json, api, csv."),
        (
            "positioning=cheap",
            "positioning",
            "Unknown value 'cheap'. Accepted: budget, mass_market, premium, luxury.",
        ),
        ("launched__isnull=maybe", "launched__isnull", "Enter true or false."),
    ],
)
def test_a_malformed_query_is_a_400_naming_the_parameter(world, api, query, param, message):
    response = api.get(f"/api/v1/brands/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert list(body["errors"]) == [param]
    assert body["errors"][param][0].startswith(message)


@pytest.mark.parametrize(
    ("path", "query", "param", "message"),
    [
        (
            "deliveries",
            "month=2025-13",
            "month",
            "Enter a month as YYYY-MM (four-digit year, two-digit month), e.g. 2025-03; got '2025-13'.",
        ),
        (
            "deliveries",
            "month__gte=2025-1-1",
            "month__gte",
            "Enter a month as YYYY-MM (four-digit year, two-digit month), e.g. 2025-03; got '2025-1-1'.",
        ),
        (
            "partnerships",
            "active_on=yesterday",
            "active_on",
            "Enter a date as YYYY-MM-DD, e.g. 2025-06-30; got 'yesterday'.",
        ),
        (
            "chips",
            "ai_tops__gte=lots",
            "ai_tops__gte",
            "Enter a number in ASCII digits, e.g. 254 or 7.5 (no sign +, exponent or separators).",
        ),
        (
            "companies",
            "country=XX",
            "country",
            "Unknown value 'XX'. Accepted: AF, AX, AL, DZ, AS, AD, AO, AI, AQ, AG, AR, AM, "
            "AW, AU, AT, AZ, BS, BH, BD, BB, BY, BE, BZ, BJ, BM, BT, BO, BQ, BA, BW and 219 "
            "more (the OpenAPI document lists them all).",
        ),
    ],
)
def test_malformed_values_on_other_resources(world, api, path, query, param, message):
    response = api.get(f"/api/v1/{path}/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"] == {param: [message]}


def test_unknown_parameter_lists_what_is_accepted(world, api):
    message = api.get("/api/v1/deliveries/?mnth=2025-11").json()["errors"]["mnth"][0]
    for accepted in ("month", "month__gte", "alliance", "brand__isnull", "limit", "ordering", "q"):
        assert f" {accepted}," in message or f" {accepted}." in message


def test_pages_have_count_and_links_and_a_hard_maximum(world, api):
    body = api.get("/api/v1/companies/?limit=4&offset=4").json()
    assert body["count"] == 10
    assert body["next"] == "http://testserver/api/v1/companies/?limit=4&offset=8"
    assert body["previous"] == "http://testserver/api/v1/companies/?limit=4"
    assert [row["slug"] for row in body["results"]] == ["meizu", "nvidia", "qualcomm", "seres"]
    assert api.get("/api/v1/companies/?limit=1000").status_code == 200


def test_lists_download_as_csv(world, api):
    by_format = api.get("/api/v1/deliveries/?alliance=hima&brand__isnull=true&format=csv")
    by_accept = api.get(
        "/api/v1/deliveries/?alliance=hima&brand__isnull=true", HTTP_ACCEPT="text/csv"
    )
    assert by_format["Content-Type"] == "text/csv; charset=utf-8"
    assert by_format.content == by_accept.content
    rows = list(csv.DictReader(io.StringIO(by_format.content.decode("utf-8-sig"))))
    assert [(r["month"], r["alliance"], r["brand"], r["units"]) for r in rows] == [
        ("2025-12", "hima", "", "89611"),
        ("2025-11", "hima", "", "81864"),
        ("2025-10", "hima", "", "68216"),
    ]
    assert rows[1]["sources"] == "test-source"
    assert rows[1]["url"] == "http://testserver/api/v1/deliveries/hima-2025-11/"


def test_csv_of_an_empty_result_still_has_its_header(world, api):
    response = api.get("/api/v1/chips/?designer=seres&format=csv")
    header = response.content.decode("utf-8-sig").splitlines()
    assert header == [
        "url,slug,name,name_zh,designer,foundry,category,process_nm,ai_tops,released,"
        "description,sources,created,updated"
    ]


def test_csv_errors_are_json(world, api):
    response = api.get("/api/v1/chips/?format=csv&colour=red")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "colour" in response.json()["errors"]


def test_an_unknown_slug_is_a_json_404(world, api):
    response = api.get("/api/v1/brands/no-such-brand/")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "Not found.",
        "errors": {},
    }


@pytest.mark.parametrize("resource", ["deliveries", "vehicle-models", "partnerships"])
def test_a_list_shows_each_row_as_its_detail_does(world, api, resource):
    """A list page reads its rows' sources (and chip fittings) its own faster way; each
    row must still read exactly as the row's own detail does."""
    page = api.get(f"/api/v1/{resource}/?limit=1000").json()["results"]
    assert page
    assert any(row["sources"] for row in page)
    for row in page:
        assert row == api.get(row["url"]).json(), row["slug"]
