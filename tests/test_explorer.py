"""Researchers browse the catalog at `/`: pages per row, search, stack, dependencies, graph.

Each page shows what the API answers (the same serializers and selectors) and links to
the API request and CSV that give it; each takes a fixed number of queries.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Source
from tests.test_api_queries import grow_from
from vehicles.models import (
    AllianceMembership,
    Brand,
    Delivery,
    Partnership,
    VehicleModel,
    VehicleModelChip,
)


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content[:2000]
    return response, response.content.decode()


def links(html):
    return re.findall(r'href="([^"]+)"', html)


def test_the_home_page_says_what_the_catalog_holds_and_links_to_the_api(world, client):
    response, html = get(client, "/")
    assert response["Content-Type"] == "text/html; charset=utf-8"
    counts = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', html))
    assert counts == {
        "Brands": "3",
        "Companies": "10",
        "Alliances": "1",
        "Vehicle models": "3",
        "Chips": "3",
        "Driver-assist stacks": "2",
        "Operating systems": "2",
    }
    assert '<strong class="latest-month">2025-12</strong>' in html
    hrefs = links(html)
    assert {"/api/docs/", "/api/redoc/", "/api/schema/", "/api/v1/brands/?format=csv"} <= set(hrefs)
    assert {"/brands/aito/", "/brands/luxeed/", "/brands/lynk-co/", "/alliances/hima/"} <= set(
        hrefs
    )


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("问界", ["/brands/aito/", "/vehicle-models/aito-m5/"]),  # models search brand names
        ("huawei", ["/companies/huawei/"]),
        ("鸿蒙", ["/alliances/hima/"]),
        ("orin", ["/chips/orin-x/"]),
        ("M5", ["/vehicle-models/aito-m5/"]),
    ],
)
def test_a_researcher_finds_rows_by_english_or_chinese_name(world, client, query, found):
    _, html = get(client, f"/?q={query}")
    results = html.split('class="results"')[1].split("What the catalog holds")[0]
    rows = re.findall(r'<th scope="row"><a href="([^"]+)">', results)
    assert rows == found
    assert f"/api/v1{found[0].rsplit('/', 2)[0]}/?q=" in results


def test_a_search_with_an_unknown_parameter_is_refused_by_name(world, client):
    _, html = get(client, "/?query=aito", status=400)
    assert "<code>query</code>" in html
    assert "Accepted: q." in html


def test_a_brand_page_shows_its_facts_with_sources_and_its_dated_links(world, client):
    _, html = get(client, "/brands/aito/")
    assert '<h1>AITO <span lang="zh" class="zh">问界</span></h1>' in html
    facts = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>(.*?)</td></tr>', html))
    assert facts["Group"] == '<a href="/companies/seres/">Seres Group</a>'
    assert facts["Launched"] == "2021"
    sources = html.split("Sources of these facts")[1].split("</ul>")[0]
    assert 'href="https://example.org/hima"' in sources
    assert "Example Press, 2025-12-01" in sources
    memberships = html.split("Alliance memberships")[1].split("</section>")[0]
    assert '<a href="/alliances/hima/">Harmony Intelligent Mobility Alliance</a>' in memberships
    assert "2021-12-01" in memberships
    assert 'href="/api/v1/alliance-memberships/?brand=aito"' in memberships
    assert 'href="/api/v1/alliance-memberships/?brand=aito&amp;format=csv"' in memberships
    assert 'href="/api/v1/brands/aito/"' in html
    assert 'href="/api/v1/brands/aito/?format=csv"' in html
    assert 'href="/brands/aito/stack/"' in html


def test_an_alliance_chart_carries_the_api_figures_with_gaps_as_nulls(world, client):
    Delivery.objects.filter(slug="hima-2025-11").delete()
    _, html = get(client, "/alliances/hima/")
    data = re.search(
        r'<script id="deliveries-data" type="application/json">(.*?)</script>', html
    ).group(1)
    import json

    chart = json.loads(data)
    api = client.get("/api/v1/insights/deliveries/?alliance=hima&group_by=alliance").json()
    assert chart == {
        "label": "Harmony Intelligent Mobility Alliance",
        "months": ["2025-10", "2025-11", "2025-12"],
        "units": [68216, None, 89611],
        "precision": ["exact", None, "exact"],
        "computed": [False, False, False],
    }
    assert [point["units"] for point in api["results"]] == chart["units"]
    assert "2 months reported, 1 missing (a gap, not a zero)" in html
    assert '<tr class="missing"><th scope="row">2025-11</th>' in html


def test_every_kind_of_row_has_a_page_and_an_unknown_slug_is_a_404(world, client):
    for url, title in [
        ("/companies/huawei/", "Huawei"),
        ("/alliances/hima/", "Harmony Intelligent Mobility Alliance"),
        ("/vehicle-models/aito-m5/", "M5"),
        ("/chips/orin-x/", "Drive Orin-X"),
        ("/driver-assist-stacks/huawei-ads-4/", "Qiankun ADS 4"),
        ("/operating-systems/harmonyos-cockpit/", "HarmonyOS Cockpit"),
    ]:
        _, html = get(client, url)
        assert f"<h1>{title}" in html, url
    get(client, "/brands/no-such-brand/", status=404)
    _, html = get(client, "/brands/aito/?as_of=2025-01-01", status=400)
    assert "<code>as_of</code>" in html


def test_a_chip_page_lists_the_stacks_on_it_and_the_models_fitted(world, client):
    _, html = get(client, "/chips/orin-x/")
    stacks = html.split("Driver-assist stacks computing on it")[1].split("</section>")[0]
    assert '<a href="/driver-assist-stacks/nvidia-pilot/">Orin Pilot</a>' in stacks
    fitted = html.split("Vehicle models fitted")[1].split("</section>")[0]
    assert '<a href="/vehicle-models/lynk-co-08/">08</a>' in fitted


def test_a_brand_stack_page_answers_as_of_a_date_with_supplier_countries(world, client):
    _, html = get(client, "/brands/lynk-co/stack/?as_of=2024-06-01")
    assert 'value="2024-06-01"' in html
    adas_chips = html.split("Driver-assist chips, by designer")[1].split("</section>")[0]
    assert '<a href="/companies/nvidia/">Nvidia</a>' in adas_chips
    assert "<td>US</td>" in adas_chips
    assert "<strong>foreign</strong>" in adas_chips
    partners = html.split("Partnerships in force")[1]
    assert "China Mobile" in partners
    assert "Nvidia" in partners  # the chip deal ran until 2024-12-31
    _, later = get(client, "/brands/lynk-co/stack/?as_of=2025-06-01")
    assert "Nvidia</a></th>" not in later.split("Partnerships in force")[1]
    assert 'href="/api/v1/brands/lynk-co/stack/?as_of=2024-06-01&amp;format=csv"' in html
    _, refused = get(client, "/brands/lynk-co/stack/?as_of=yesterday", status=400)
    assert "<code>as_of</code>" in refused


def test_the_dependencies_page_shows_the_api_shares_per_layer(world, client):
    _, html = get(client, "/dependencies/?active_on=2025-06-01")
    api = client.get("/api/v1/insights/dependencies/?active_on=2025-06-01").json()
    import json

    chart = json.loads(
        re.search(
            r'<script id="dependencies-data" type="application/json">(.*?)</script>', html
        ).group(1)
    )
    assert chart["layers"] == [layer["description"] for layer in api["results"]]
    for index, layer in enumerate(api["results"]):
        for row in layer["by_country"]:
            assert chart["brand_share"][row["country"]][index] == row["brand_share"]
            assert chart["weighted_share"][row["country"]][index] == row["weighted_share"]
    assert chart["countries"][0] == "CN"
    get(client, "/dependencies/?layer=bogus", status=400)


def test_the_graph_page_lists_the_endpoint_answer_as_tables(world, client):
    _, html = get(client, "/graph/?edge_kind=member_of")
    assert 'data-api="/api/v1/insights/graph/"' in html
    edges = html.split("Links as a table")[1].split("</table>")[0]
    assert edges.count("<tr><td>") == 2
    assert "<td>AITO</td><td>Member of</td><td>Harmony Intelligent Mobility Alliance</td>" in edges
    assert 'href="/api/v1/insights/graph/?edge_kind=member_of"' in html
    _, refused = get(client, "/graph/?edge_kind=likes", status=400)
    assert "Unknown edge kind" in refused


def test_the_admin_view_site_link_opens_the_explorer(world, admin_client):
    _, html = get(admin_client, "/admin/")
    assert '<a href="/">View site</a>' in html
    get(admin_client, "/")


def test_pages_carry_no_inline_script_or_style(world, client):
    for url in ["/", "/brands/aito/", "/alliances/hima/", "/dependencies/", "/graph/"]:
        _, html = get(client, url)
        assert " style=" not in html, url
        assert "<style" not in html, url
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        for attributes, body in scripts:
            assert "src=" in attributes or 'type="application/json"' in attributes, url
            assert "src=" not in attributes or not body.strip(), url


# --- query counts ------------------------------------------------------------------------


def grow_around(world, count):
    """Rows every page lists: models, memberships, deals and monthly figures, `count` each."""
    source = Source.objects.create(
        slug="grown", title="Grown", publisher="P", url="https://example.org/grown"
    )
    for i in range(count):
        grow_from(world, i)
        model = VehicleModel.objects.create(
            slug=f"aito-x{i}",
            brand=world.aito,
            name=f"X{i}",
            powertrain="bev",
            cockpit_os=world.harmony,
            adas_stack=world.ads,
        )
        VehicleModelChip.objects.create(vehicle_model=model, chip=world.orin, role="adas")
        brand = Brand.objects.get(slug=f"b{i}")
        AllianceMembership.objects.create(slug=f"hima-b{i}", alliance=world.hima, brand=brand)
        deal = Partnership.objects.create(
            slug=f"aito-deal-{i}", brand=world.aito, partner=world.huawei, kind="cloud"
        )
        deal.sources.add(source)
        month = datetime.date(2020 + i // 12, i % 12 + 1, 1)
        for alliance, brand_ in [(world.hima, None), (None, world.aito)]:
            Delivery.objects.create(
                slug=Delivery.make_slug({"alliance": alliance, "brand": brand_, "month": month}),
                alliance=alliance,
                brand=brand_,
                month=month,
                units=1000 + i,
            )


PAGES = [
    "/",
    "/?q=a",
    "/brands/aito/",
    "/brands/aito/stack/",
    "/alliances/hima/",
    "/companies/huawei/",
    "/vehicle-models/aito-m5/",
    "/chips/orin-x/",
    "/driver-assist-stacks/huawei-ads-4/",
    "/operating-systems/harmonyos-cockpit/",
    "/dependencies/",
    "/graph/",
]


def test_each_page_takes_as_many_queries_for_many_rows_as_for_a_few(world, client):
    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            get(client, url)
        return len(captured)

    few = {url: queries(url) for url in PAGES}
    grow_around(world, 30)
    many = {url: queries(url) for url in PAGES}
    assert many == few
    assert max(few.values()) <= 40, few
