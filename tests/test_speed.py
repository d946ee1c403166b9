"""Speed without changing answers: orjson writes DRF's bytes, cursor walks, cheap counts,
filters built from what a request gives, one Redis round trip per throttle check, and
default orders that the database reads from an index."""

import base64
import json
import uuid
from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.renderers import JSONRenderer

from catalog import pagination
from catalog.renderers import CatalogJSONRenderer
from catalog.urls import SegmentResolver, first_segment, router

LISTS = [
    "sources",
    "companies",
    "chips",
    "alliances",
    "brands",
    "vehicle-models",
    "partnerships",
    "alliance-memberships",
    "deliveries",
    "delivery-totals",
]


def test_answers_are_byte_for_byte_what_drf_writes(world, client):
    urls = [f"/api/v1/{name}/" for name in LISTS] + [
        "/api/v1/brands/aito/",
        "/api/v1/brands/aito/stack/",
        "/api/v1/insights/deliveries/?group_by=brand&period=quarter",
        "/api/v1/insights/dependencies/",
        "/api/v1/insights/exposure/?country=US",
        "/api/v1/deliveries/?no_such_parameter=1",  # an error body
    ]
    for url in urls:
        response = client.get(url)
        assert response.content == JSONRenderer().render(response.data), url


def test_the_renderer_spells_decimals_times_and_line_separators_as_drf_does():
    import datetime
    import decimal

    data = {
        "tops": decimal.Decimal("0.00001"),
        "price": decimal.Decimal("254.5"),
        "at": datetime.datetime(2025, 11, 3, 8, 0, tzinfo=datetime.UTC),
        "on": datetime.date(2025, 11, 1),
        "text": "line\u2028break\u2029here 华为",
        "big": 2**70,
    }
    assert CatalogJSONRenderer().render(data) == JSONRenderer().render(data)


def test_a_researcher_walks_every_delivery_with_a_cursor(world, client):
    everything = [
        row["slug"] for row in client.get("/api/v1/deliveries/?limit=1000").json()["results"]
    ]
    walked, url, pages = [], "/api/v1/deliveries/?limit=2&cursor=first", 0
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["previous"] is None
        assert body["count"] == len(everything)
        walked += [row["slug"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert walked == everything
    assert pages == (len(everything) + 1) // 2


def test_a_cursor_does_not_combine_with_offset_or_ordering_and_must_be_one_we_gave(world, client):
    for url, param in [
        ("/api/v1/deliveries/?cursor=first&offset=2", "offset"),
        ("/api/v1/deliveries/?cursor=first&ordering=units", "ordering"),
        ("/api/v1/deliveries/?cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("/api/v1/deliveries/?cursor=%%%", "cursor"),
    ]:
        answer = client.get(url)
        assert answer.status_code == 400, url
        assert list(answer.json()["errors"]) == [param]


# Every list a cursor can walk, as the OpenAPI document lists them.
WALKED_LISTS = sorted(
    path
    for path, operations in yaml.safe_load(Path("openapi.yaml").read_text())["paths"].items()
    if any(p.get("name") == "cursor" for p in operations.get("get", {}).get("parameters", []))
)


def cursor_of(values):
    text = json.dumps(values, allow_nan=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", WALKED_LISTS)
def test_a_cursor_written_by_hand_is_refused_on_every_list_a_walk_follows(world, client, path):
    """A cursor holds the last row's place in the order, as the list wrote it; one made
    up (a null, an infinity, true, an object, a NUL, half a surrogate pair, a number
    past 64 bits where text is due) is refused like any other that is not the list's."""
    # A walk's order has one term or two (the last a tie-breaker): both lengths are tried.
    for made_up in ([None], [float("inf")], [True], [{}], [[]], ["a\x00"], ["\ud800"], [1e3]):
        for values in (made_up, made_up * 2):
            answer = client.get(f"{path}?cursor={cursor_of(values)}&limit=1")
            assert answer.status_code == 400, (path, values, answer.content[:200])
            assert list(answer.json()["errors"]) == ["cursor"]


def test_small_lists_keep_their_exact_count_and_shape(world, client):
    body = client.get("/api/v1/deliveries/?limit=2").json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == len(client.get("/api/v1/deliveries/?limit=1000").json()["results"])


def test_a_big_list_estimates_its_count_and_says_so(world, client, on_postgres):
    total = client.get("/api/v1/deliveries/").json()["count"]
    with mock.patch.object(pagination, "COUNT_EXACT_UP_TO", -1):
        first = client.get("/api/v1/deliveries/?limit=2").json()
        last = client.get(f"/api/v1/deliveries/?limit=2&offset={total - 1}").json()
    assert first["count_estimated"] is True
    assert first["next"].endswith("limit=2&offset=2")
    # The last page knows the total exactly, and has no next page.
    assert "count_estimated" not in last
    assert (last["count"], last["next"]) == (total, None)


def test_a_small_table_is_counted_without_asking_the_planner(world, client, on_postgres):
    """A table the planner's statistics show to be small is counted exactly at once; one
    never analysed, or big, is asked about first (EXPLAIN), as before."""
    from vehicles.models import Brand

    def explained():
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/brands/?limit=1").json()
        return any(query["sql"].startswith("EXPLAIN") for query in queries), body

    pagination._table_rows.clear()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE vehicles_brand")
    asked, body = explained()
    assert not asked
    assert body["count"] == Brand.objects.count()
    assert "count_estimated" not in body
    with mock.patch.object(pagination, "COUNT_EXACT_UP_TO", 0):
        asked, body = explained()
    assert asked
    assert body["count_estimated"] is True
    pagination._table_rows.clear()


def test_a_filter_beyond_a_columns_range_matches_nothing_on_every_path(world, client, on_postgres):
    """An integer past the column's range compiles to no SQL; the estimate must cope too."""
    with mock.patch.object(pagination, "COUNT_EXACT_UP_TO", -1):
        for url in [
            "/api/v1/brands/?launched__lte=-9223372036854775807",
            "/api/v1/operating-systems/?first_release=7786255750746",
            "/api/v1/deliveries/?units__lte=-9223372036854775807",
        ]:
            answer = client.get(url)
            assert answer.status_code == 200, (url, answer.content)
            assert (answer.json()["count"], answer.json()["results"]) == (0, []), url


def test_a_filtered_list_parses_only_the_parameters_given(world, client):
    """django-filter would build and clean a form field for each of the 70-odd filters."""
    from vehicles.filters import VehicleModelFilterSet

    seen = []
    original = VehicleModelFilterSet.get_form_class

    def spy(filterset):
        form_class = original(filterset)
        seen.append(sorted(form_class.base_fields))
        return form_class

    with mock.patch.object(VehicleModelFilterSet, "get_form_class", spy):
        answer = client.get("/api/v1/vehicle-models/?brand=aito&q=m")
    assert answer.status_code == 200
    assert seen == [["brand", "q"]]
    assert len(VehicleModelFilterSet.base_filters) > 50


def test_two_filtersets_do_not_share_their_filters(world):
    from vehicles.filters import BrandFilterSet
    from vehicles.models import Brand

    first = BrandFilterSet({"q": "aito"}, Brand.objects.all())
    second = BrandFilterSet({"q": "luxeed"}, Brand.objects.all())
    assert first.filters["q"] is not second.filters["q"]
    assert first.filters["q"].parent is first
    assert second.filters["q"].parent is second
    assert [b.slug for b in first.qs] == ["aito"]
    assert [b.slug for b in second.qs] == ["luxeed"]


def test_a_list_reads_its_page_ids_first_then_joins_the_page(world, client):
    """One query: the page's ids in a subquery that walks the order alone (no joins), the
    related rows joined for those ids only."""
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/deliveries/?limit=2&offset=1")
    selects = [q["sql"] for q in queries if "vehicles_delivery" in q["sql"]]
    pages = [sql for sql in selects if "JOIN" in sql and 'FROM "vehicles_delivery" ' in sql]
    assert len(pages) == 1, selects
    outer, _, inner = pages[0].partition(" IN (SELECT ")
    assert "LIMIT" in inner, pages[0]
    assert "JOIN" not in inner, pages[0]
    assert "LIMIT" not in outer, pages[0]


def test_a_small_tables_first_page_is_read_in_one_pass(world, client, on_postgres):
    """Where PostgreSQL's statistics call the table small, a page that skips no rows (a
    first page, a cursor walk's page) joins its rows in one pass; a later page still
    reads its ids first. The answers are the same rows in the same order."""

    def page_queries(url):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url).json()
        pages = [
            q["sql"]
            for q in queries
            if 'FROM "vehicles_alliancemembership" ' in q["sql"] and "JOIN" in q["sql"]
        ]
        return pages, [row["slug"] for row in body["results"]]

    pagination._table_rows.clear()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE vehicles_alliancemembership")
    [first], first_rows = page_queries("/api/v1/alliance-memberships/?limit=3")
    assert " IN (SELECT " not in first
    assert "LIMIT 3" in first
    [walk], walk_rows = page_queries("/api/v1/alliance-memberships/?limit=3&cursor=first")
    assert " IN (SELECT " not in walk
    [later], later_rows = page_queries("/api/v1/alliance-memberships/?limit=2&offset=1")
    assert " IN (SELECT " in later
    assert walk_rows == first_rows
    assert later_rows == first_rows[1:3]
    with mock.patch.object(pagination, "COUNT_EXACT_UP_TO", 0):  # the table is big now
        [big], big_rows = page_queries("/api/v1/alliance-memberships/?limit=3")
    assert " IN (SELECT " in big
    assert big_rows == first_rows
    pagination._table_rows.clear()


def test_a_throttle_check_is_one_round_trip_to_redis(world, client):
    redis = pytest.importorskip("redis")
    from django.core.cache.backends.redis import RedisCache
    from rest_framework.views import APIView

    from catalog.throttling import COUNT_SCRIPT, AnonRateThrottle, SharedCounterMixin
    from tests.test_throttling import NOW, StoppedClock, throttled_api

    raw = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.5)
    try:
        raw.ping()
    except redis.exceptions.RedisError:
        pytest.skip("needs Redis at 127.0.0.1:6379")
    prefix = f"catalog-speed-test-{uuid.uuid4()}"  # its own keys, whoever else runs
    worker = RedisCache("redis://127.0.0.1:6379/0", {"KEY_PREFIX": prefix})
    worker.get("connect")  # the connection's own handshake is not a throttle check
    # A fresh Redis learns the counting script on its first use (NOSCRIPT, SCRIPT LOAD,
    # EVALSHA again), once per server, not per request: load it up front.
    raw.script_load(COUNT_SCRIPT)
    sent = []
    real = redis.connection.Connection.send_packed_command

    def count(self, command, *args, **kwargs):
        sent.append(command)
        return real(self, command, *args, **kwargs)

    try:
        with (
            throttled_api(),
            mock.patch.object(APIView, "throttle_classes", [AnonRateThrottle]),
            mock.patch.object(SharedCounterMixin, "timer", StoppedClock(NOW)),
            mock.patch.object(SharedCounterMixin, "cache", worker),
            mock.patch.object(redis.connection.Connection, "send_packed_command", count),
        ):
            codes = [client.get("/api/v1/brands/aito/").status_code for _ in range(4)]
    finally:
        for key in raw.scan_iter(f"{prefix}:*"):
            raw.delete(key)
        raw.close()
    assert codes == [200, 200, 200, 429]  # 3/minute
    assert len(sent) == 4  # one packet (EVALSHA of the counting script) per request


# --- PostgreSQL: the default orders are read from indexes ---------------------------------


def plan_of(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Prefer any plan without a full sort: a missing index shows as a Sort node.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    return json.dumps(plan if not isinstance(plan, str) else json.loads(plan))


@pytest.mark.django_db(transaction=False)
def test_each_list_reads_its_default_order_from_an_index(world, on_postgres):
    checked = []
    for prefix, viewset, _ in router.registry:
        queryset = viewset.queryset.order_by(*viewset.ordering)
        page = queryset.values_list("pk", flat=True)[:50]
        plan = plan_of(page)
        assert '"Node Type": "Sort"' not in plan, (prefix, plan)
        checked.append(prefix)
    assert {"deliveries", "vehicle-models", "brands", "partnerships"} <= set(checked)


@pytest.mark.django_db(transaction=False)
def test_the_big_lists_documented_orders_are_indexed(world, on_postgres):
    from vehicles.views import (
        AllianceMembershipViewSet,
        BrandViewSet,
        DeliveryViewSet,
        PartnershipViewSet,
        VehicleModelViewSet,
    )

    for viewset in (
        DeliveryViewSet,
        VehicleModelViewSet,
        BrandViewSet,
        PartnershipViewSet,
        AllianceMembershipViewSet,
    ):
        for field in viewset.ordering_fields:
            page = viewset.queryset.order_by(field, "slug").values_list("pk", flat=True)[:50]
            plan = plan_of(page)
            assert '"Node Type": "Sort"' not in plan, (viewset.__name__, field, plan)


def test_a_series_too_big_to_answer_at_once_says_how_to_narrow_it(world, client):
    from insights.selectors import deliveries as selectors

    url = "/api/v1/insights/deliveries/?group_by=alliance&period=month"
    points = len(client.get(url).json()["results"])
    with mock.patch.object(selectors, "MAX_SERIES_POINTS", points):
        assert client.get(url).status_code == 200
    with mock.patch.object(selectors, "MAX_SERIES_POINTS", points - 1):
        answer = client.get(url)
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "period": [
            f"The answer would have {points:,} points (series times periods); at most "
            f"{points - 1:,} are given at once. Narrow it: fewer months (month__gte, "
            "month__lte), a longer period (quarter, year), or fewer series (alliance, "
            "brand, group)."
        ]
    }


def test_a_change_reads_the_row_once(world, client):
    from catalog.models import ApiToken
    from tests.conftest import user_with

    _, raw = ApiToken.issue(user=user_with("vehicles.change_brand"), name="speed")
    with CaptureQueriesContext(connection) as queries:
        answer = client.patch(
            "/api/v1/brands/aito/",
            {"headquarters": "Chongqing"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )
    assert answer.status_code == 200, answer.content
    assert answer.json()["headquarters"] == "Chongqing"
    reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "vehicles_brand"."id"')
        and 'WHERE "vehicles_brand"."id" = ' in q["sql"]
    ]
    assert reads == []  # looked up by slug (and locked) once, never fetched again by id


def answers(client, urls, language):
    return {
        url: (response.status_code, response.content)
        for url in urls
        for response in [client.get(url, HTTP_ACCEPT_LANGUAGE=language)]
    }


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_page_reads_less_yet_says_what_drf_would_say(seeded, client, language):
    """Serializers read each row by a plan made once per serializer (catalog.serializers
    .PlannedRepresentation), and a page's joined relations load only what their summaries
    show (catalog.page_values.summaries_only): the bytes are those of DRF's own
    to_representation() over fully loaded rows, on every list, detail and analysis."""
    from rest_framework import serializers as drf_serializers

    from catalog import page_values
    from catalog.serializers import PlannedRepresentation

    urls = [
        "/api/v1/insights/deliveries/?group_by=brand&period=quarter",
        "/api/v1/insights/deliveries/?group_by=group&period=year",
        "/api/v1/insights/deliveries/?group_by=alliance&period=month&format=csv",
        "/api/v1/insights/dependencies/",
        "/api/v1/insights/exposure/?country=US",
        "/api/v1/insights/graph/",
        "/api/v1/insights/audit/",
        "/api/v1/brands/aito/stack/",
        "/api/v1/changes/?limit=1000",
    ]
    for prefix, viewset, _ in router.registry:
        urls += [f"/api/v1/{prefix}/?limit=1000", f"/api/v1/{prefix}/?limit=7&format=csv"]
        if prefix != "changes":
            first = viewset.queryset.order_by("pk").values_list("slug", flat=True).first()
            urls.append(f"/api/v1/{prefix}/{first}/")
    planned = answers(client, urls, language)

    def drf_representation(serializer, instance):
        return drf_serializers.Serializer.to_representation(serializer, instance)

    with (
        mock.patch.object(PlannedRepresentation, "to_representation", drf_representation),
        mock.patch.object(page_values, "summaries_only", lambda queryset: queryset),
    ):
        assert answers(client, urls, language) == planned
    assert len(urls) > 40
    assert {status for status, _ in planned.values()} == {200}
    assert all(len(body) > 100 for _, body in planned.values())


def test_the_policy_header_is_django_csps_own(db, client, settings):
    """The Content-Security-Policy of an API answer is built once (catalog.middleware),
    and is what django-csp builds from the settings, as they are."""
    from csp.constants import HEADER
    from csp.utils import build_policy

    answer = client.get("/api/v1/brands/")
    assert answer[HEADER] == build_policy()
    assert "script-src 'self'; " in answer[HEADER] + "; "
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/api/v1/brands/")[HEADER] == "default-src 'none'"
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    answer = client.get("/api/v1/brands/")
    assert answer["Content-Security-Policy-Report-Only"] == build_policy(report_only=True)
    assert "img-src 'self'" in answer["Content-Security-Policy-Report-Only"]


def test_a_page_with_a_nonce_gets_a_policy_naming_it(db, client):
    """A page that uses the request's nonce (the API reference) gets django-csp's own
    header, naming that nonce, not the one kept for other answers."""
    from csp.constants import HEADER

    page = client.get("/api/redoc/")
    nonce = page.wsgi_request.csp_nonce
    assert page.status_code == 200
    assert f'<style nonce="{nonce}">' in page.content.decode()
    assert f"script-src 'self' 'nonce-{nonce}'" in page[HEADER]
    assert "'nonce-" not in client.get("/api/v1/brands/")[HEADER]


def test_the_same_view_answers_each_client_in_the_format_it_asks_for(world, client):
    """Content negotiation remembers its choices: each Accept header and format still
    gets its own renderer, and a refusal is refused every time."""
    for _ in range(2):
        assert client.get("/api/v1/brands/", HTTP_ACCEPT="text/csv")["Content-Type"].startswith(
            "text/csv"
        )
        assert (
            client.get("/api/v1/brands/", HTTP_ACCEPT="application/json")["Content-Type"]
            == "application/json"
        )
        assert client.get("/api/v1/brands/?format=csv")["Content-Type"].startswith("text/csv")
        assert client.get("/api/v1/brands/", HTTP_ACCEPT="image/png").status_code == 406
        assert client.get("/api/v1/brands/?format=").status_code == 400
        assert client.get("/api/v1/brands/?format=xml").status_code in (400, 404)


def test_a_page_joined_further_keeps_the_columns_its_next_join_needs(world):
    """Only relations joined no further load their summary columns alone: deferring
    brand.group while joining brand__group is refused by Django."""
    from catalog.page_values import summaries_only
    from vehicles.models import VehicleModel

    queryset = summaries_only(VehicleModel.objects.select_related("brand__group", "cockpit_os"))
    deferred, _ = queryset.query.deferred_loading
    assert not any(name.startswith("brand__") for name in deferred)
    assert "cockpit_os__description" in deferred
    rows = list(queryset)
    assert rows
    assert rows[0].brand.group.slug


def test_every_api_path_resolves_as_djangos_resolver_would():
    """The API's patterns are looked up by a path's first segment: each path resolves to
    the view, arguments and route that trying every pattern in turn gives, 404s too."""
    indexed = next(p for p in get_resolver().url_patterns if isinstance(p, SegmentResolver))
    plain = URLResolver(indexed.pattern, indexed.url_patterns)
    resources = [prefix for prefix, _, _ in router.registry]
    tails = [
        "",
        "/",
        ".json",
        ".csv/",
        "/export/",
        "/export.csv",
        "/x/",
        "/x",
        "/x.json",
        "/x/stack/",
        "/x/stack.csv",
        "/x/history/",
        "/deliveries/",
        "//",
        ".json/x",
    ]
    heads = [*resources, "insights", "datapackage", "", "x", f"{resources[0]}x", "é"]
    checked = 0
    for head in heads:
        for tail in tails:
            path = f"api/v1/{head}{tail}"
            answers = []
            for resolver in (indexed, plain):
                try:
                    match = resolver.resolve(path)
                    answers.append((match.func, match.args, match.kwargs, match.route))
                except Resolver404:
                    answers.append(404)
            assert answers[0] == answers[1], path
            checked += answers[0] != 404
    assert checked > 3 * len(resources)  # most resources' list, detail and suffix paths


@pytest.mark.parametrize(
    ("pattern", "segment"),
    [
        (RegexPattern(r"^brands/$"), "brands"),
        (RegexPattern(r"^brands/?$"), "brands"),
        (RegexPattern(r"^brands\.(?P<format>[a-z0-9]+)/?$"), "brands"),
        (RegexPattern(r"^brands/(?P<slug>[-a-zA-Z0-9_]+)/stack/$"), "brands"),
        (RoutePattern("datapackage.zip"), "datapackage"),
        (RoutePattern("insights/", is_endpoint=False), "insights"),
        # Where the first segment can be longer than the literal, or is not literal: tried
        # for every path.
        (RegexPattern(r"^brands(?P<rest>.*)$"), None),
        (RegexPattern(r"^brands/?(?P<rest>.*)$"), None),
        (RegexPattern(r"^brand.$"), None),
        (RegexPattern(r"^$"), None),
        (RoutePattern("<drf_format_suffix:format>"), None),
        (RoutePattern("<slug:slug>/"), None),
    ],
)
def test_a_pattern_is_looked_up_by_the_first_segment_it_can_match(pattern, segment):
    assert first_segment(pattern) == segment


@pytest.mark.parametrize("cookie", [None, "zh-hans", "en", "fr", "zh-cn", ""])
@pytest.mark.parametrize(
    "accept", [None, "", "zh-CN,zh;q=0.9", "fr-FR,fr;q=0.9,en;q=0.8", "*", "zh-Hant", "x" * 300]
)
def test_the_language_kept_for_a_cookie_and_header_is_djangos_choice(rf, settings, cookie, accept):
    """The language middleware keeps the language chosen for a cookie and an
    Accept-Language header, and the Vary header it makes; each is what Django's own
    functions give for the same request, and a change of settings is followed."""
    from django.utils.cache import patch_vary_headers
    from django.utils.translation import get_language_from_request

    from catalog.middleware import language_for, vary_with

    def request():
        made = rf.get("/api/v1/brands/", **({"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}))
        if accept == "":
            made.META["HTTP_ACCEPT_LANGUAGE"] = ""
        if cookie is not None:
            made.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
        return made

    for _ in range(2):  # chosen, then kept
        assert language_for(cookie, accept) == get_language_from_request(request())
    settings.LANGUAGES = [("fr", "French"), ("en", "English")]
    settings.LANGUAGE_CODE = "fr"
    assert language_for(cookie, accept) == get_language_from_request(request())
    for vary in [None, "Accept", "accept-language", "Accept, Cookie", "*"]:
        response = HttpResponse()
        if vary is not None:
            response.headers["Vary"] = vary
        patch_vary_headers(response, ("Accept-Language",))
        assert vary_with(vary, "Accept-Language") == response.headers["Vary"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_countrys_choices_are_worked_out_once_per_language_as_drf_would(language):
    """A company's country field gets the choices DRF would work out from the model field
    (names in the language asked for, in its order), worked out once and shared."""
    from django.utils import translation
    from rest_framework.serializers import ChoiceField

    from partners.models import Company
    from partners.serializers import CompanySerializer

    def made_and_drfs():
        made = CompanySerializer().fields["country"]
        drfs = ChoiceField(choices=Company._meta.get_field("country").choices)
        assert list(made.grouped_choices.items()) == list(drfs.grouped_choices.items())
        assert made.choice_strings_to_values == drfs.choice_strings_to_values
        return made

    with translation.override(language):
        first, again = made_and_drfs(), made_and_drfs()
        assert first is not again
        assert first.choices is again.choices
        assert len(first.choices) > 200
    assert first.grouped_choices["CN"] == {"en": "China", "zh-hans": "中国"}[language]
