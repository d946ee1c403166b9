"""A reader asking again gets the answer from memory, and never one the catalog has left
behind: every kind of write, by any path, changes the database's stamp (catalog.answers).

These tests commit their writes (a kept answer is only used outside a transaction)."""

import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from catalog import answers
from catalog.models import ApiToken, Source
from catalog.views import etag_of
from partners.models import Company
from tests.conftest import another_connection, user_with
from vehicles.models import Brand, Delivery, VehicleModel

pytestmark = pytest.mark.django_db(transaction=True)

AITO = "/api/v1/brands/aito/"


def stamp():
    return answers.read_stamp()


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    return response, len(queries)


def test_a_detail_asked_again_is_the_same_answer_from_one_query(world, client):
    first, first_queries = get(client, AITO)
    again, again_queries = get(client, AITO)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert dict(again.items()) == dict(first.items())
    assert first.json()["name_zh"] == "问界"
    # The stamp, and nothing else: no catalog row is read again.
    assert first_queries > 1
    assert again_queries == 1


def test_a_kept_detail_keeps_the_etag_a_write_is_checked_against(world, client):
    first = client.get(AITO)
    again = client.get(AITO)
    assert again["ETag"] == first["ETag"] == etag_of(first.json())
    _, raw = ApiToken.issue(user=user_with("vehicles.change_brand"), name="t")
    answer = client.patch(
        AITO,
        {"launched": 2022},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_IF_MATCH=again["ETag"],
    )
    assert answer.status_code == 200


def test_the_etag_of_a_kept_answer_still_answers_if_none_match_with_304(world, client):
    first = client.get("/api/v1/brands/?limit=2")
    client.get("/api/v1/brands/?limit=2")
    tag = first["ETag"]
    answer = client.get("/api/v1/brands/?limit=2", HTTP_IF_NONE_MATCH=tag)
    assert answer.status_code == 304
    assert answer["ETag"] == tag


def rename_by_api(world, client):
    _, raw = ApiToken.issue(user=user_with("vehicles.change_brand"), name="t")
    answer = client.patch(
        AITO,
        {"name_zh": "新问界"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert answer.status_code == 200


def rename_by_save(world, client):
    world.aito.name_zh = "新问界"
    world.aito.save()


def rename_by_update(world, client):
    Brand.objects.filter(slug="aito").update(name_zh="新问界")


def rename_by_raw_sql(world, client):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE vehicles_brand SET name_zh = %s WHERE slug = 'aito'", ["新问界"])


def link_a_source(world, client):
    world.aito.sources.add(
        Source.objects.create(slug="new", title="N", publisher="P", url="https://e.org/n")
    )


WRITES = [rename_by_api, rename_by_save, rename_by_update, rename_by_raw_sql, link_a_source]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_every_kind_of_write_is_seen_by_the_next_reader(world, client, write):
    before = client.get(AITO)
    assert client.get(AITO).content == before.content
    write(world, client)
    after = client.get(AITO)
    assert after.status_code == 200
    assert after.content != before.content
    if write is not link_a_source:
        assert after.json()["name_zh"] == "新问界"
    else:
        assert "new" in json.dumps(after.json()["sources"])


def test_a_list_and_an_analysis_see_a_new_row(world, client):
    models = "/api/v1/vehicle-models/?brand=aito"
    series = "/api/v1/insights/deliveries/?group_by=brand&period=year"
    before = {url: client.get(url).json() for url in (models, series)}
    VehicleModel.objects.create(
        slug="aito-m9", brand=world.aito, name="M9", body_type="suv", powertrain="erev"
    )
    Delivery.objects.create(
        slug="aito-2020-01", brand=world.aito, month=datetime.date(2020, 1, 1), units=7
    )
    assert client.get(models).json()["count"] == before[models]["count"] + 1
    assert client.get(series).json() != before[series]
    VehicleModel.objects.filter(slug="aito-m9").delete()
    Delivery.objects.filter(slug="aito-2020-01").delete()
    assert client.get(models).json() == before[models]
    assert client.get(series).json() == before[series]


def test_a_rolled_back_write_leaves_the_stamp_and_the_answer(world, client):
    before = client.get(AITO).content
    kept_stamp = stamp()
    with transaction.atomic():
        Brand.objects.filter(slug="aito").update(name_zh="从未")
        transaction.set_rollback(True)
    assert stamp() == kept_stamp
    assert client.get(AITO).content == before


def test_tokens_in_use_leave_kept_answers_alone(world, client):
    _, raw = ApiToken.issue(user=user_with(), name="reader")
    client.get(AITO, HTTP_AUTHORIZATION=f"Bearer {raw}")
    kept_stamp = stamp()
    ApiToken.objects.update(name="renamed")
    User.objects.update(first_name="Someone")
    assert stamp() == kept_stamp


def test_each_language_and_format_is_its_own_answer(world, client):
    """A brand's stack names its layers in the reader's language."""
    stack = "/api/v1/brands/aito/stack/"
    asked = {
        "en": {},
        "zh": {"HTTP_ACCEPT_LANGUAGE": "zh-hans"},
        "csv": {"HTTP_ACCEPT": "text/csv"},
    }
    first = {
        name: client.get(stack if name != "csv" else "/api/v1/brands/", **headers)
        for name, headers in asked.items()
    }
    again = {
        name: client.get(stack if name != "csv" else "/api/v1/brands/", **headers)
        for name, headers in asked.items()
    }
    assert first["en"].content != first["zh"].content
    assert first["csv"]["Content-Type"].startswith("text/csv")
    for name in asked:
        assert again[name].content == first[name].content
        assert dict(again[name].items()) == dict(first[name].items())
    assert again["zh"]["Content-Language"] == "zh-hans"
    assert {key[2] for key in answers.kept.answers if key[-1].endswith(stack)} == {"en", "zh-hans"}


def test_each_host_gets_links_to_itself(world, client):
    """Links in an answer are absolute: a reader through another host name gets its own."""
    here = client.get(AITO)
    there = client.get(AITO, HTTP_HOST="localhost")
    assert here.json()["url"] == "http://testserver/api/v1/brands/aito/"
    assert there.json()["url"] == "http://localhost/api/v1/brands/aito/"
    assert client.get(AITO, HTTP_HOST="localhost").content == there.content


def test_an_answer_is_kept_under_what_makes_its_links(rf, settings):
    """Answers are kept under the URL as sent (scheme, host headers, path, query): any
    two requests kept under the same strings have the same absolute URL, whichever way
    the host and scheme arrive (forwarded headers trusted or not, a port, a proxy's
    HTTPS header)."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    variants = [
        {},
        {"HTTP_HOST": "localhost"},
        {"HTTP_HOST": "localhost:8000"},
        {"HTTP_X_FORWARDED_HOST": "catalog.example"},
        {"HTTP_X_FORWARDED_HOST": "catalog.example", "HTTP_X_FORWARDED_PORT": "8443"},
        {"HTTP_X_FORWARDED_PROTO": "https"},
        {"SERVER_PORT": "8080"},
        {"SERVER_NAME": "internal", "SERVER_PORT": "81"},
    ]
    seen = {}
    for forwarded in (False, True):
        settings.USE_X_FORWARDED_HOST = settings.USE_X_FORWARDED_PORT = forwarded
        for path in ("/api/v1/brands/aito/", "/api/v1/brands/?limit=5"):
            for headers in variants:
                request = rf.get(path, **headers)
                url = request.build_absolute_uri()
                assert seen.setdefault(answers.url_as_sent(request), url) == url
    assert len(set(seen.values())) == 14


def test_the_browsable_page_is_made_for_each_reader(world, client):
    client.get(AITO, HTTP_ACCEPT="text/html")
    _, queries = get(client, AITO, HTTP_ACCEPT="text/html")
    assert queries > 1


def test_refusals_are_not_kept(world, client):
    for url in ("/api/v1/brands/?limit=nine", "/api/v1/brands/nobody/"):
        assert client.get(url).status_code >= 400
        assert client.get(url).status_code >= 400
        assert not [key for key in answers.kept.answers if key[-1].endswith(url)]
    client.get(AITO)
    assert [key for key in answers.kept.answers if key[-1].endswith(AITO)]


def test_a_new_day_is_a_new_answer(world, client, monkeypatch):
    client.get(AITO)
    monkeypatch.setattr(answers.timezone, "localdate", lambda: datetime.date(2099, 1, 1))
    _, queries = get(client, AITO)
    assert queries > 1


def test_memory_is_bounded_in_bytes_and_large_answers_are_not_kept(world, client):
    # Each company's detail at two addresses: two answers each.
    details = [
        url
        for slug in Company.objects.order_by("slug").values_list("slug", flat=True)
        for url in (f"/api/v1/companies/{slug}/", f"/api/v1/companies/{slug}/?format=json")
    ]
    sizes = [len(client.get(url).content) for url in details]
    capacity = max(sizes) * answers.LARGEST_SHARE
    assert sum(sizes) > capacity  # more than fits
    with override_settings(ANSWER_CACHE_BYTES=capacity):
        for url in details:
            client.get(url)
        assert 0 < answers.kept.answers.currsize <= capacity
        assert 0 < len(answers.kept.answers) < len(details)
        # The least recently used went first; the latest is there.
        assert [key[-1] for key in answers.kept.answers][-1].endswith(details[-1])
        client.get("/api/v1/companies/")  # larger than one share: made, not kept
        _, queries = get(client, "/api/v1/companies/")
        assert queries > 1


def test_no_cache_configured_means_every_answer_is_made(world, client):
    with override_settings(ANSWER_CACHE_BYTES=0):
        client.get(AITO)
        _, queries = get(client, AITO)
    assert queries > 1


def test_every_table_an_answer_shows_replaces_the_stamp(world):
    """Every table of the catalog's apps carries the trigger, the tokens' table does not."""
    tables = set(answers.shown_tables())
    assert {
        "vehicles_brand",
        "vehicles_delivery",
        "catalog_source",
        "catalog_changerecord",
    } <= tables
    assert "vehicles_brand_sources" in tables  # a many-to-many link
    assert "vehicles_historicalbrand" in tables  # history
    assert ApiToken._meta.db_table not in tables
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s",
                [answers.STAMP_TABLE],
            )
            triggered = {name for (name,) in cursor.fetchall()} - {answers.PENDING_TABLE}
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'answer_stamp_%'"
            )
            triggered = {name for (name,) in cursor.fetchall()}
    assert triggered == tables


def test_a_write_inside_a_transaction_is_not_kept_before_it_commits(world, client):
    before = client.get(AITO).content
    with transaction.atomic():
        Brand.objects.filter(slug="aito").update(name_zh="未提交")
        inside = client.get(AITO)
        assert inside.json()["name_zh"] == "未提交"
        transaction.set_rollback(True)
    assert client.get(AITO).content == before


def test_the_stamp_stands_for_the_health_check_and_a_dropped_connection_is_replaced(
    world, client, on_postgres
):
    """The first query of a request checks the connection: the stamp's query does it, and
    a connection the server dropped is replaced, not reported as an error."""
    first = client.get(AITO)
    connection.health_check_done = False  # as at the start of a new request
    with CaptureQueriesContext(connection) as queries:
        assert client.get(AITO).content == first.content
    assert [query["sql"] for query in queries] == ["SELECT stamp FROM catalog_answer_stamp"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    with another_connection(autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.health_check_done = False
    again = client.get(AITO)
    assert again.status_code == 200
    assert again.content == first.content
