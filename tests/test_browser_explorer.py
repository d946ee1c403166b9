"""A researcher in a real browser on the seeded catalog: every kind of explorer page, a
search that leads to a brand, a chart read against the API, the graph filtered."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "home": "/",
    "search": "/?q=%E9%97%AE%E7%95%8C",  # 问界
    "brand": "/brands/aito/",
    "brand-stack": "/brands/aito/stack/",
    "alliance": "/alliances/hima/",
    "company": "/companies/huawei/",
    "vehicle-model": "/vehicle-models/aito-m9/",
    "chip": "/chips/horizon-journey-5/",
    "driver-assist-stack": "/driver-assist-stacks/huawei-ads-4/",
    "operating-system": "/operating-systems/harmonyos-cockpit/",
    "dependencies": "/dependencies/",
    "graph": "/graph/",
}


def test_every_kind_of_page_opens_cleanly_and_asks_only_its_own_server(seeded_catalog, visit):
    for name, path in PAGES.items():
        response = visit.open(path)
        assert response.status == 200, path
        assert visit.page.locator("h1").count() == 1, path
        api = visit.page.locator("a.api-link").first.get_attribute("href")
        assert api.startswith("/api/v1/"), path
        if name == "graph":
            visit.page.wait_for_selector("#graph[data-state=drawn]")
        visit.screenshot(f"explorer-{name}")
        # What `visit` checks again at the end, said here for each page.
        assert visit.console_errors == [], path
        assert visit.foreign_requests == [], path
    own = {request.split("/")[2] for request in visit.requests}
    assert own == {visit.origin.split("/")[2]}


def test_a_search_by_chinese_name_leads_to_the_brand(seeded_catalog, visit):
    visit.open("/")
    visit.page.fill("input[name=q]", "问界")
    visit.page.click("form.search button")
    visit.page.wait_for_load_state("networkidle")
    visit.page.click("section.results a[href='/brands/aito/']")
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.url == visit.origin + "/brands/aito/"
    assert visit.page.locator("h1").inner_text() == "AITO 问界"


def test_the_alliance_chart_shows_the_api_figures_and_leaves_gaps(seeded_catalog, visit, client):
    visit.open("/alliances/hima/")
    chart = visit.page.evaluate(
        """() => {
            const chart = Chart.getChart("deliveries-chart");
            return {labels: chart.data.labels, values: chart.data.datasets[0].data,
                    styles: chart.data.datasets[0].pointStyle};
        }"""
    )
    api = client.get("/api/v1/insights/deliveries/?alliance=hima&group_by=alliance").json()
    assert chart["labels"] == [point["period"] for point in api["results"]]
    assert chart["values"] == [point["units"] for point in api["results"]]
    missing = [point["period"] for point in api["results"] if point["units"] is None]
    assert missing, "the seeded HIMA series has months without a figure"
    assert all(chart["values"][chart["labels"].index(month)] is None for month in missing)
    approximate = [i for i, p in enumerate(api["results"]) if p["precision"] == "approximate"]
    assert approximate
    assert {chart["styles"][i] for i in approximate} == {"triangle"}


def test_a_researcher_filters_the_graph_by_link_kind(seeded_catalog, visit, client):
    visit.open("/graph/")
    graph = visit.page.locator("#graph")
    visit.page.wait_for_selector("#graph[data-state=drawn]")
    everything = int(graph.get_attribute("data-edges"))
    visit.page.check("input[name=edge_kind][value=member_of]")
    visit.page.wait_for_function(
        "() => document.querySelector('#graph').dataset.state === 'drawn'"
        " && location.search === '?edge_kind=member_of'"
    )
    api = client.get("/api/v1/insights/graph/?edge_kind=member_of").json()
    assert int(graph.get_attribute("data-edges")) == api["counts"]["edges"] < everything
    assert int(graph.get_attribute("data-nodes")) == api["counts"]["nodes"]
    assert visit.page.locator("#graph-edge-count").inner_text() == str(api["counts"]["edges"])
    visit.screenshot("explorer-graph-member-of")
