"""A partner app's session, written only against the Python client generated from
openapi.yaml (openapi-python-client): no casts, no `type: ignore`, no raw HTTP.

tests/test_clients.py generates `catalog_client`, type-checks this file with
`mypy --strict`, and runs it against a live server holding the test world
(tests/conftest.py). Usage: python_session.py BASE_URL TOKEN
"""

import sys
from http import HTTPStatus

from catalog_client import AuthenticatedClient
from catalog_client.api.brands import (
    brands_create,
    brands_destroy,
    brands_list,
    brands_partial_update,
    brands_retrieve,
    brands_stack_retrieve,
)
from catalog_client.api.changes import changes_list
from catalog_client.api.insights import (
    insights_deliveries_retrieve,
    insights_dependencies_retrieve,
    insights_exposure_retrieve,
    insights_graph_retrieve,
)
from catalog_client.models import (
    Brand,
    BrandRequest,
    BrandsListOrderingItem,
    BrandStack,
    ChangeRecord,
    DeliverySeries,
    Dependencies,
    Error,
    Exposure,
    Graph,
    PaginatedBrandList,
    PaginatedChangeRecordList,
    PatchedBrandRequest,
)


def slugs(page: object) -> list[str]:
    """The slugs of the brands on a page of the brand list."""
    assert isinstance(page, PaginatedBrandList), page
    return [brand.slug for brand in page.results]


def session(base_url: str, token: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=token)

    # Filters: a repeated parameter is OR, `__ic` is contains in any case, `q` reads Chinese.
    by_name = [BrandsListOrderingItem.NAME]
    listed = brands_list.sync(client=client, group=["seres", "chery"], ordering=by_name)
    assert slugs(listed) == ["aito", "luxeed"]
    assert slugs(brands_list.sync(client=client, name_ic=["LYNK"])) == ["lynk-co"]
    assert slugs(brands_list.sync(client=client, q="问界")) == ["aito"]

    # Pages: two rows, then the last one.
    first = brands_list.sync(client=client, limit=2, ordering=by_name)
    assert isinstance(first, PaginatedBrandList)
    assert (first.count, slugs(first)) == (3, ["aito", "luxeed"])
    assert isinstance(first.next_, str)
    assert first.previous is None
    last = brands_list.sync(client=client, limit=2, offset=2, ordering=by_name)
    assert isinstance(last, PaginatedBrandList)
    assert (slugs(last), last.next_) == (["lynk-co"], None)

    # A detail, and a 304 when it is read again with its ETag.
    read = brands_retrieve.sync_detailed("aito", client=client)
    assert isinstance(read.parsed, Brand)
    assert (read.parsed.name, read.parsed.name_zh, read.parsed.group.slug) == (
        "AITO",
        "问界",
        "seres",
    )
    unchanged = brands_retrieve.sync_detailed(
        "aito", client=client, if_none_match=read.headers["ETag"]
    )
    assert (unchanged.status_code, unchanged.content) == (HTTPStatus.NOT_MODIFIED, b"")

    # Create, change with If-Match, be refused with a stale ETag, delete.
    created = brands_create.sync(
        client=client,
        body=BrandRequest(slug="exeed", name="Exeed", name_zh="星途", group="chery", launched=2018),
    )
    assert isinstance(created, Brand)
    assert (created.slug, created.group.slug, created.launched) == ("exeed", "chery", 2018)
    before = brands_retrieve.sync_detailed("exeed", client=client)
    stale = before.headers["ETag"]
    changed = brands_partial_update.sync_detailed(
        "exeed", client=client, body=PatchedBrandRequest(headquarters="Wuhu"), if_match=stale
    )
    assert isinstance(changed.parsed, Brand)
    assert changed.parsed.headquarters == "Wuhu"
    fresh = changed.headers["ETag"]
    assert fresh != stale
    refused = brands_partial_update.sync_detailed(
        "exeed", client=client, body=PatchedBrandRequest(headquarters="Hefei"), if_match=stale
    )
    assert refused.status_code == HTTPStatus.PRECONDITION_FAILED
    assert isinstance(refused.parsed, Error)
    assert (refused.parsed.status, refused.parsed.code) == (412, "precondition_failed")
    again = brands_retrieve.sync_detailed("exeed", client=client, if_none_match=fresh)
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    deleted = brands_destroy.sync_detailed("exeed", client=client, if_match=fresh)
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    gone = brands_retrieve.sync_detailed("exeed", client=client)
    assert gone.status_code == HTTPStatus.NOT_FOUND
    assert isinstance(gone.parsed, Error)

    # Every insight.
    series = insights_deliveries_retrieve.sync(client=client, alliance=["hima"])
    assert isinstance(series, DeliverySeries)
    assert [(p.period, p.units) for p in series.results] == [
        ("2025-10", 68216),
        ("2025-11", 81864),
        ("2025-12", 89611),
    ]
    dependencies = insights_dependencies_retrieve.sync(client=client, group=["seres"])
    assert isinstance(dependencies, Dependencies)
    assert dependencies.brands == 1
    exposure = insights_exposure_retrieve.sync(client=client, company=["nvidia"])
    assert isinstance(exposure, Exposure)
    assert [hit.brand.slug for hit in exposure.results] == ["lynk-co"]
    graph = insights_graph_retrieve.sync(client=client)
    assert isinstance(graph, Graph)
    assert graph.counts.nodes == len(graph.nodes)
    assert graph.counts.edges == len(graph.edges)
    stack = brands_stack_retrieve.sync("aito", client=client)
    assert isinstance(stack, BrandStack)
    assert (stack.brand.slug, stack.group.slug, stack.home_country) == ("aito", "seres", "CN")

    # The change log tells the story of the brand created above, newest first.
    log = changes_list.sync(client=client, object_=["exeed"])
    assert isinstance(log, PaginatedChangeRecordList)
    records: list[ChangeRecord] = log.results
    assert [(r.action.value, r.channel.value) for r in records] == [
        ("deleted", "api"),
        ("changed", "api"),
        ("created", "api"),
    ]


if __name__ == "__main__":
    session(sys.argv[1], sys.argv[2])
    print("python session: ok")
