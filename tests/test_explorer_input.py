"""What the explorer answers to requests it cannot answer as asked: a parameter given
twice, several mistakes at once, a write, invisible characters, an unknown row.

Each is a page saying what was wrong, in HTML whatever the client accepts, never the
last of two values read silently, a CSRF failure, a raw control byte or the API's JSON.
"""

import html as html_module
import re

import pytest
from django.test import Client

from insights.selectors.graph import EDGE_KINDS
from tests.test_explorer import PAGES

ONCE = "Give this parameter once; it takes one value, not 2."


def refused(client, url):
    """The problems a 400 page names: {parameter: [messages]}, as a reader sees them."""
    response = client.get(url)
    assert response.status_code == 400, response.content[:2000]
    assert response["Content-Type"] == "text/html; charset=utf-8"
    errors = re.search(r'<dl class="errors">(.*?)</dl>', response.content.decode(), re.S)[1]
    return {
        html_module.unescape(name): [html_module.unescape(text) for text in messages]
        for name, messages in [
            (name, re.findall(r"<dd>(.*?)</dd>", messages))
            for name, messages in re.findall(
                r"<dt><code>(.*?)</code></dt>((?:<dd>.*?</dd>)*)", errors
            )
        ]
    }


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/?q=aito&q=xpeng", "q"),
        ("/brands/aito/stack/?as_of=2024-01-01&as_of=2025-01-01", "as_of"),
        ("/dependencies/?active_on=2024-01-01&active_on=2025-01-01", "active_on"),
        ("/dependencies/?weight_from=2025-01&weight_from=2025-02", "weight_from"),
        ("/dependencies/?weight_to=2025-01&weight_to=2025-02", "weight_to"),
        ("/graph/?active_on=2024-01-01&active_on=2025-01-01", "active_on"),
    ],
)
def test_a_parameter_given_twice_is_refused_by_name_not_read_as_the_last(world, client, url, name):
    assert refused(client, url) == {name: [ONCE]}


def test_the_graph_still_takes_several_kinds_one_per_parameter(world, client):
    response = client.get("/graph/?node_kind=brand&node_kind=alliance&edge_kind=member_of")
    assert response.status_code == 200
    assert (
        'href="/api/v1/insights/graph/?node_kind=brand&amp;node_kind=alliance'
        '&amp;edge_kind=member_of"' in response.content.decode()
    )


def test_a_page_of_one_row_names_each_parameter_it_was_given_once_or_twice(world, client):
    assert refused(client, "/brands/aito/?x=1&x=2&as_of=2025-01-01") == {
        "as_of": ["Unknown query parameter: this page takes none."],
        "x": ["Unknown query parameter: this page takes none."],
    }


def test_every_mistake_in_an_address_is_named_at_once(world, client):
    assert refused(client, "/brands/aito/stack/?x=1&as_of=bad") == {
        "x": ["Unknown query parameter. Accepted: as_of."],
        "as_of": ["Enter a date as YYYY-MM-DD, e.g. 2025-06-30; got 'bad'."],
    }
    assert refused(
        client, "/dependencies/?layer=adas&active_on=bad&weight_from=2025-01&weight_from=2025-02"
    ) == {
        "layer": ["Unknown query parameter. Accepted: active_on, weight_from, weight_to."],
        "weight_from": [ONCE],
        "active_on": ["Enter a date as YYYY-MM-DD, e.g. 2025-06-30; got 'bad'."],
    }
    assert refused(client, "/graph/?edge_kind=likes&active_on=2024-01-01&active_on=x") == {
        "active_on": [ONCE],
        "edge_kind": [f"Unknown edge kind 'likes'. Accepted: {', '.join(EDGE_KINDS)}."],
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/brands/aito/stack/?as_of=%00",
            {"as_of": ["Enter a date as YYYY-MM-DD, e.g. 2025-06-30; got '\\x00'."]},
        ),
        (
            "/dependencies/?active_on=%00",
            {"active_on": ["Enter a date as YYYY-MM-DD, e.g. 2025-06-30; got '\\x00'."]},
        ),
        ("/?%00=1", {"\\x00": ["Unknown query parameter. Accepted: q."]}),
        (
            "/brands/aito/?a%E2%80%AEb=1",
            {"a\\u202eb": ["Unknown query parameter: this page takes none."]},
        ),
    ],
)
def test_an_invisible_character_sent_is_shown_back_as_its_escape(world, client, url, expected):
    assert refused(client, url) == expected
    assert "\x00" not in client.get(url).content.decode()


def test_a_kind_with_a_nul_byte_is_named_with_it_visible(world, client):
    errors = refused(client, "/graph/?node_kind=brand%00")
    assert errors["node_kind"][0].startswith("Unknown node kind 'brand\\x00'. Accepted: ")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("url", PAGES)
def test_a_page_only_reads_and_says_so_to_any_other_method(world, method, url):
    """Even with no CSRF token: the answer is that the page does not take writes (405),
    not that a token was missing (403)."""
    response = getattr(Client(enforce_csrf_checks=True), method)(url)
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert (
        f"<p>It answers GET and HEAD, not <code>{method.upper()}</code>;"
        in response.content.decode()
    )


def test_a_head_request_gets_the_page_headers_without_its_body(world, client):
    response = client.head("/brands/aito/")
    assert (response.status_code, response["Content-Type"], response.content) == (
        200,
        "text/html; charset=utf-8",
        b"",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/brands/nope/", "No brand &#x27;nope&#x27;."),
        ("/brands/nope/stack/", "No brand &#x27;nope&#x27;."),
        ("/chips/nope/", "No chip &#x27;nope&#x27;."),
    ],
)
@pytest.mark.parametrize("accept", ["*/*", "application/json", "text/html"])
def test_an_unknown_row_is_a_page_saying_so_whatever_the_client_accepts(
    world, client, settings, url, message, accept
):
    settings.DEBUG = False
    response = client.get(url, HTTP_ACCEPT=accept)
    assert (response.status_code, response["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert f'<p class="not-found">{message}</p>' in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/graph/?active_on=",
        "/dependencies/?active_on=&weight_from=&weight_to=",
        "/brands/aito/stack/?as_of=",
    ],
)
def test_a_form_sent_with_a_field_left_empty_shows_the_default(world, client, url):
    """A form without JavaScript sends a cleared date as `field=`: the page's default
    holds, as if the field were left out (it was a 400)."""
    empty = client.get(url)
    assert empty.status_code == 200
    assert client.get(url.split("?")[0]).status_code == 200
