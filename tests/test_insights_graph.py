"""A researcher takes the ecosystem as a graph, as JSON or as GraphML for networkx and Gephi."""

import datetime
import io
import json

import networkx as nx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

from catalog import values
from catalog.models import Source
from tests.test_api_queries import grow
from vehicles.models import VehicleModel, VehicleModelChip

URL = "/api/v1/insights/graph/"
GRAPHML = "application/graphml+xml"


def graph(client, query=""):
    response = client.get(f"{URL}?{query}" if query else URL)
    assert response.status_code == 200, response.content
    return response.json()


def triples(body):
    return {(edge["source"], edge["kind"], edge["target"]) for edge in body["edges"]}


def node_ids(body):
    return [node["id"] for node in body["nodes"]]


def only(body, kind):
    return [edge for edge in body["edges"] if edge["kind"] == kind]


# The default graph: every kind but vehicle models, only linked nodes.

DEFAULT_EDGES = {
    ("company:geely-holding", "controls", "company:meizu"),
    ("company:huawei", "controls", "company:yinwang"),
    ("company:seres", "holds", "company:yinwang"),
    ("company:chery", "owns_brand", "brand:luxeed"),
    ("company:geely-holding", "owns_brand", "brand:lynk-co"),
    ("company:seres", "owns_brand", "brand:aito"),
    ("company:huawei", "makes", "operating_system:harmonyos-cockpit"),
    ("company:huawei", "makes", "driver_assist_stack:huawei-ads-4"),
    ("company:huawei", "makes", "chip:kirin-990a"),
    ("company:meizu", "makes", "operating_system:flyme-auto"),
    ("company:nvidia", "makes", "driver_assist_stack:nvidia-pilot"),
    ("company:nvidia", "makes", "chip:orin-x"),
    ("company:qualcomm", "makes", "chip:sa8295p"),
    ("company:tsmc", "manufactures", "chip:orin-x"),
    ("brand:aito", "uses", "operating_system:harmonyos-cockpit"),
    ("brand:aito", "uses", "driver_assist_stack:huawei-ads-4"),
    ("brand:aito", "uses", "chip:kirin-990a"),
    ("brand:luxeed", "uses", "operating_system:harmonyos-cockpit"),
    ("brand:luxeed", "uses", "driver_assist_stack:huawei-ads-4"),
    ("brand:lynk-co", "uses", "operating_system:flyme-auto"),
    ("brand:lynk-co", "uses", "driver_assist_stack:nvidia-pilot"),
    ("brand:lynk-co", "uses", "chip:orin-x"),
    ("brand:lynk-co", "uses", "chip:sa8295p"),
    ("driver_assist_stack:nvidia-pilot", "computes_on", "chip:orin-x"),
    ("brand:aito", "partners_with", "company:huawei"),
    ("brand:lynk-co", "partners_with", "company:nvidia"),
    ("company:geely-holding", "partners_with", "company:china-mobile"),
    ("brand:aito", "member_of", "alliance:hima"),
    ("brand:luxeed", "member_of", "alliance:hima"),
    ("company:huawei", "leads", "alliance:hima"),
}


def test_the_default_graph_links_companies_brands_alliances_and_products(world, client):
    body = graph(client)
    assert triples(body) == DEFAULT_EDGES
    assert len(body["edges"]) == len(DEFAULT_EDGES)
    assert node_ids(body) == [
        "company:chery",
        "company:china-mobile",
        "company:geely-holding",
        "company:huawei",
        "company:meizu",
        "company:nvidia",
        "company:qualcomm",
        "company:seres",
        "company:tsmc",
        "company:yinwang",
        "brand:aito",
        "brand:luxeed",
        "brand:lynk-co",
        "alliance:hima",
        "operating_system:flyme-auto",
        "operating_system:harmonyos-cockpit",
        "driver_assist_stack:huawei-ads-4",
        "driver_assist_stack:nvidia-pilot",
        "chip:kirin-990a",
        "chip:orin-x",
        "chip:sa8295p",
    ]
    assert body["counts"] == {"nodes": 21, "edges": 30}


def test_nodes_carry_names_countries_and_their_api_url(world, client):
    nodes = {node["id"]: node for node in graph(client)["nodes"]}
    assert nodes["company:huawei"] == {
        "id": "company:huawei",
        "kind": "company",
        "slug": "huawei",
        "name": "Huawei",
        "name_zh": "华为",
        "country": "CN",
        "url": "http://testserver/api/v1/companies/huawei/",
    }
    # A brand takes its group's country; other kinds have none.
    assert nodes["brand:lynk-co"]["country"] == "CN"
    assert nodes["chip:orin-x"] == {
        "id": "chip:orin-x",
        "kind": "chip",
        "slug": "orin-x",
        "name": "Drive Orin-X",
        "name_zh": "",
        "country": None,
        "url": "http://testserver/api/v1/chips/orin-x/",
    }


def test_memberships_are_dated_and_sourced(world, client):
    body = graph(client, "edge_kind=member_of")
    assert body == {
        "nodes": [
            {
                "id": "brand:aito",
                "kind": "brand",
                "slug": "aito",
                "name": "AITO",
                "name_zh": "问界",
                "country": "CN",
                "url": "http://testserver/api/v1/brands/aito/",
            },
            {
                "id": "brand:luxeed",
                "kind": "brand",
                "slug": "luxeed",
                "name": "Luxeed",
                "name_zh": "智界",
                "country": "CN",
                "url": "http://testserver/api/v1/brands/luxeed/",
            },
            {
                "id": "alliance:hima",
                "kind": "alliance",
                "slug": "hima",
                "name": "Harmony Intelligent Mobility Alliance",
                "name_zh": "鸿蒙智行",
                "country": None,
                "url": "http://testserver/api/v1/alliances/hima/",
            },
        ],
        "edges": [
            {
                "source": "brand:aito",
                "target": "alliance:hima",
                "kind": "member_of",
                "started_on": "2021-12-01",
                "ended_on": None,
                "url": "http://testserver/api/v1/alliance-memberships/hima-aito/",
                "sources": ["test-source"],
            },
            {
                "source": "brand:luxeed",
                "target": "alliance:hima",
                "kind": "member_of",
                "started_on": "2023-11-01",
                "ended_on": None,
                "url": "http://testserver/api/v1/alliance-memberships/hima-luxeed/",
                "sources": [],
            },
        ],
        "counts": {"nodes": 3, "edges": 2},
    }


def test_ownership_edges_say_who_controls_and_who_holds_what(world, client):
    body = graph(client, "edge_kind=controls&edge_kind=holds")
    assert body["edges"] == [
        {
            "source": "company:geely-holding",
            "target": "company:meizu",
            "kind": "controls",
            "started_on": None,
            "ended_on": None,
            "sources": [],
        },
        {
            "source": "company:huawei",
            "target": "company:yinwang",
            "kind": "controls",
            "started_on": None,
            "ended_on": None,
            "sources": [],
        },
        {
            "source": "company:seres",
            "target": "company:yinwang",
            "kind": "holds",
            "started_on": "2024-08-26",
            "ended_on": None,
            "url": "http://testserver/api/v1/shareholdings/seres-yinwang/",
            "share_percent": 10.0,
            "sources": [],
        },
    ]
    assert node_ids(body) == [
        "company:geely-holding",
        "company:huawei",
        "company:meizu",
        "company:seres",
        "company:yinwang",
    ]


def test_a_group_wide_deal_starts_from_the_carmaker_group(world, client):
    partnerships = graph(client, "edge_kind=partners_with")["edges"]
    assert partnerships[2] == {
        "source": "company:geely-holding",
        "target": "company:china-mobile",
        "kind": "partners_with",
        "started_on": "2020-10-27",
        "ended_on": None,
        "url": "http://testserver/api/v1/partnerships/geely-china-mobile/",
        "partnership_kind": "telecom",
        "scope": "5G and satellites",
        "announced_on": "2020-10-27",
        "sources": ["test-source"],
    }
    assert [(edge["source"], edge["ended_on"]) for edge in partnerships] == [
        ("brand:aito", None),
        ("brand:lynk-co", "2024-12-31"),
        ("company:geely-holding", None),
    ]


def test_supply_edges_follow_makers_foundries_compute_and_leaders(world, client):
    body = graph(client, "edge_kind=manufactures&edge_kind=computes_on&edge_kind=leads")
    assert [(e["source"], e["kind"], e["target"], e["sources"]) for e in body["edges"]] == [
        ("company:tsmc", "manufactures", "chip:orin-x", []),
        ("driver_assist_stack:nvidia-pilot", "computes_on", "chip:orin-x", []),
        # Sources of the row that records the link: here the alliance's.
        ("company:huawei", "leads", "alliance:hima", ["test-source"]),
    ]


def test_a_brand_uses_what_its_vehicle_models_use_counted_in_the_database(world, client):
    VehicleModel.objects.create(
        slug="aito-m7",
        brand=world.aito,
        name="M7",
        powertrain="erev",
        cockpit_os=world.harmony,
    )
    body = graph(client, "edge_kind=uses")
    uses = {(e["source"], e["target"]): e for e in body["edges"]}
    assert uses["brand:aito", "operating_system:harmonyos-cockpit"] == {
        "source": "brand:aito",
        "target": "operating_system:harmonyos-cockpit",
        "kind": "uses",
        "started_on": None,
        "ended_on": None,
        "vehicle_models": 2,
        "sources": ["test-source"],
    }
    assert uses["brand:aito", "driver_assist_stack:huawei-ads-4"]["vehicle_models"] == 1
    assert uses["brand:lynk-co", "chip:orin-x"] == {
        "source": "brand:lynk-co",
        "target": "chip:orin-x",
        "kind": "uses",
        "started_on": None,
        "ended_on": None,
        "vehicle_models": 1,
        "role": "adas",
        "sources": [],
    }
    # Vehicle-model edges only appear when vehicle models are asked for.
    assert not any(edge["source"].startswith("vehicle_model:") for edge in body["edges"])


def test_active_on_keeps_the_edges_in_force_that_day_and_every_undated_one(world, client):
    body = graph(client, "active_on=2025-06-01")
    assert triples(body) == DEFAULT_EDGES - {("brand:lynk-co", "partners_with", "company:nvidia")}
    # Nvidia stays: it still makes the Orin-X and its pilot.
    assert "company:nvidia" in node_ids(body)

    early = triples(graph(client, "active_on=2021-06-01"))
    assert early == DEFAULT_EDGES - {
        ("company:seres", "holds", "company:yinwang"),  # acquired 2024-08-26
        ("brand:aito", "member_of", "alliance:hima"),  # joined 2021-12-01
        ("brand:luxeed", "member_of", "alliance:hima"),
        ("brand:aito", "partners_with", "company:huawei"),  # started 2021-12-01
    }
    # The last day of a deal is still in force.
    assert ("brand:lynk-co", "partners_with", "company:nvidia") in triples(
        graph(client, "active_on=2024-12-31&edge_kind=partners_with")
    )


def test_node_kind_lists_every_node_of_those_kinds_and_only_edges_between_them(world, client):
    body = graph(client, "node_kind=company")
    assert node_ids(body) == [
        "company:chery",  # owns only a brand, which is not asked for: unlinked, still listed
        "company:china-mobile",
        "company:geely-holding",
        "company:huawei",
        "company:meizu",
        "company:nvidia",
        "company:qualcomm",
        "company:seres",
        "company:tsmc",
        "company:yinwang",
    ]
    assert triples(body) == {
        ("company:geely-holding", "controls", "company:meizu"),
        ("company:huawei", "controls", "company:yinwang"),
        ("company:seres", "holds", "company:yinwang"),
        ("company:geely-holding", "partners_with", "company:china-mobile"),
    }

    members = graph(client, "node_kind=brand&node_kind=alliance&edge_kind=member_of")
    assert node_ids(members) == ["brand:aito", "brand:luxeed", "brand:lynk-co", "alliance:hima"]
    assert len(members["edges"]) == 2


def test_vehicle_models_join_the_graph_when_asked_for(world, client):
    body = graph(client, "node_kind=brand&node_kind=vehicle_model&node_kind=chip")
    assert node_ids(body) == [
        "brand:aito",
        "brand:luxeed",
        "brand:lynk-co",
        "chip:kirin-990a",
        "chip:orin-x",
        "chip:sa8295p",
        "vehicle_model:aito-m5",
        "vehicle_model:luxeed-s7",
        "vehicle_model:lynk-co-08",
    ]
    assert triples(body) == {
        ("brand:aito", "uses", "chip:kirin-990a"),
        ("brand:lynk-co", "uses", "chip:orin-x"),
        ("brand:lynk-co", "uses", "chip:sa8295p"),
        ("vehicle_model:aito-m5", "uses", "chip:kirin-990a"),
        ("vehicle_model:lynk-co-08", "uses", "chip:orin-x"),
        ("vehicle_model:lynk-co-08", "uses", "chip:sa8295p"),
        ("brand:aito", "sells", "vehicle_model:aito-m5"),
        ("brand:luxeed", "sells", "vehicle_model:luxeed-s7"),
        ("brand:lynk-co", "sells", "vehicle_model:lynk-co-08"),
    }
    edges = {(e["source"], e["kind"], e["target"]): e for e in body["edges"]}
    assert edges["vehicle_model:lynk-co-08", "uses", "chip:orin-x"] == {
        "source": "vehicle_model:lynk-co-08",
        "target": "chip:orin-x",
        "kind": "uses",
        "started_on": None,
        "ended_on": None,
        "role": "adas",
        "quantity": 2,
        "sources": [],
    }
    assert edges["brand:aito", "sells", "vehicle_model:aito-m5"] == {
        "source": "brand:aito",
        "target": "vehicle_model:aito-m5",
        "kind": "sells",
        "started_on": "2022-03-01",
        "ended_on": None,
        "sources": ["test-source"],
    }
    # A model launched later is not on sale yet.
    on_sale = graph(client, "node_kind=brand&node_kind=vehicle_model&active_on=2023-10-01")
    assert triples(on_sale) == {
        ("brand:aito", "sells", "vehicle_model:aito-m5"),
        ("brand:lynk-co", "sells", "vehicle_model:lynk-co-08"),
    }


# GraphML.


def read_graphml(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == f"{GRAPHML}; charset=utf-8"
    return nx.read_graphml(io.BytesIO(response.content), force_multigraph=True)


def as_graphml_attributes(item, structural):
    """What GraphML keeps of a JSON node or edge: no nulls or empties, lists joined by ';'."""
    return {
        name: ";".join(value) if isinstance(value, list) else value
        for name, value in item.items()
        if name not in structural and value not in (None, "", [])
    }


@pytest.mark.parametrize(
    "query",
    ["", "node_kind=brand&node_kind=vehicle_model&node_kind=chip", "edge_kind=holds"],
)
def test_graphml_opens_in_networkx_with_the_json_nodes_edges_and_attributes(world, client, query):
    body = graph(client, query)
    loaded = read_graphml(client.get(f"{URL}?{query}&format=graphml"))
    assert loaded.is_directed()
    assert (loaded.number_of_nodes(), loaded.number_of_edges()) == (
        body["counts"]["nodes"],
        body["counts"]["edges"],
    )
    assert dict(loaded.nodes(data=True)) == {
        node["id"]: as_graphml_attributes(node, {"id"}) for node in body["nodes"]
    }
    read_edges = sorted(
        (source, target, sorted(data.items())) for source, target, data in loaded.edges(data=True)
    )
    json_edges = sorted(
        (
            edge["source"],
            edge["target"],
            sorted(as_graphml_attributes(edge, {"source", "target"}).items()),
        )
        for edge in body["edges"]
    )
    assert read_edges == json_edges


def test_graphml_declares_typed_keys_and_is_chosen_by_the_accept_header(world, client):
    response = client.get(f"{URL}?edge_kind=holds&edge_kind=uses", HTTP_ACCEPT=GRAPHML)
    loaded = read_graphml(response)
    holding = loaded.get_edge_data("company:seres", "company:yinwang")[0]
    assert holding == {
        "kind": "holds",
        "started_on": "2024-08-26",
        "url": "http://testserver/api/v1/shareholdings/seres-yinwang/",
        "share_percent": 10.0,
    }
    uses = loaded.get_edge_data("brand:aito", "operating_system:harmonyos-cockpit")[0]
    assert uses == {"kind": "uses", "vehicle_models": 1, "sources": "test-source"}
    text = response.content.decode()
    assert 'attr.name="share_percent" attr.type="double"' in text
    assert 'attr.name="vehicle_models" attr.type="int"' in text
    assert 'edgedefault="directed"' in text


# Strict parameters.


@pytest.mark.parametrize(
    ("query", "param", "code", "message"),
    [
        (
            "node_kind=bogus",
            "node_kind",
            "invalid_choice",
            "Unknown node kind 'bogus'. Accepted: company, brand, alliance, operating_system, "
            "driver_assist_stack, chip, vehicle_model.",
        ),
        ("edge_kind=owns", "edge_kind", "invalid_choice", "Unknown edge kind 'owns'."),
        ("edge_kind=", "edge_kind", "empty", "Give a value, or leave the parameter out."),
        (
            "active_on=2025-13-01",
            "active_on",
            "invalid_date",
            "'2025-13-01' is not a date: that day does not exist in the calendar.",
        ),
        (
            "active_on=2025-01-01&active_on=2025-02-01",
            "active_on",
            "invalid",
            "Give this parameter once; it takes one value, not 2.",
        ),
        (
            "colour=red",
            "colour",
            "invalid",
            "Unknown query parameter. Accepted: active_on, edge_kind",
        ),
        ("format=csv", "format", "invalid", "Unknown format 'csv'."),
    ],
)
@pytest.mark.parametrize("accept", ["application/json", GRAPHML])
def test_a_wrong_parameter_is_a_json_400_naming_it(
    world, client, query, param, code, message, accept
):
    # The graph's parameters are checked as every list's are, with the same codes.
    response = client.get(f"{URL}?{query}", HTTP_ACCEPT=accept)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["status"], body["code"], body["detail"]) == (
        400,
        code,
        f"Invalid input: {param}.",
    )
    assert list(body["errors"]) == [param]
    assert body["errors"][param][0].startswith(message)


def test_an_error_is_json_even_when_graphml_is_asked_for_in_the_url(world, client):
    response = client.get(f"{URL}?format=graphml&node_kind=bogus")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == ["node_kind"]


# The contract and the cost.


@pytest.fixture(scope="module")
def schema():
    # Generated from the code: the committed openapi.yaml is regenerated when committing.
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


@pytest.fixture(scope="module")
def contract(schema):
    return OpenAPI.from_dict(schema)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "edge_kind=member_of",
        "node_kind=brand&node_kind=vehicle_model&node_kind=chip",
        "edge_kind=partners_with&edge_kind=holds&active_on=2025-06-01",
        "node_kind=bogus",
    ],
)
def test_responses_match_the_openapi_schema(world, client, contract, query):
    response = client.get(f"{URL}?{query}")
    contract.validate_response(
        DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response)
    )


def test_the_schema_documents_json_and_graphml_and_the_parameters(schema):
    operation = schema["paths"][URL]["get"]
    # JSON clients see JSON types only; GraphML is documented in the description.
    assert set(operation["responses"]["200"]["content"]) == {"application/json"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Graph"
    }
    assert GRAPHML in operation["description"]
    parameters = {
        param["name"]: param["schema"] for param in operation["parameters"] if "name" in param
    }
    assert parameters["node_kind"]["type"] == "array"
    assert "vehicle_model" in parameters["node_kind"]["items"]["enum"]
    assert parameters["active_on"] == {
        "type": "string",
        "format": "date",
        "pattern": values.DATE_PATTERN,
    }
    assert {"400", "429"} <= set(operation["responses"])


# Each query reads whole tables, so the count is fixed by the parameters alone.
QUERY_COUNTS = {
    "": 16,
    "edge_kind=member_of": 4,
    "node_kind=company": 4,
    "active_on=2025-06-01": 16,
    "node_kind=brand&node_kind=vehicle_model&node_kind=chip&node_kind=driver_assist_stack": 11,
    "&".join(f"node_kind={kind}" for kind in ("company", "brand", "alliance", "chip"))
    + "&node_kind=operating_system&node_kind=driver_assist_stack&node_kind=vehicle_model": 18,
}


def queries_for(client, query):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    return len(captured), response.json()["counts"]


@pytest.mark.parametrize("query", QUERY_COUNTS)
def test_the_number_of_queries_does_not_grow_with_the_catalog(world, client, query):
    few, small = queries_for(client, query)
    grow(world, 12)
    for fitting in VehicleModelChip.objects.all():
        fitting.sources.set(Source.objects.all()[:2])
    many, large = queries_for(client, query)
    assert large["edges"] > small["edges"]
    assert (few, many) == (QUERY_COUNTS[query], QUERY_COUNTS[query])


def test_the_graph_survives_an_empty_catalog(db, client):
    assert graph(client) == {"nodes": [], "edges": [], "counts": {"nodes": 0, "edges": 0}}
    loaded = read_graphml(client.get(f"{URL}?format=graphml"))
    assert loaded.number_of_nodes() == 0


def test_dates_are_compared_as_dates(world, client):
    world.ended.ended_on = datetime.date(2025, 1, 1)
    world.ended.save()
    assert ("brand:lynk-co", "partners_with", "company:nvidia") in triples(
        graph(client, "active_on=2025-01-01&edge_kind=partners_with")
    )
