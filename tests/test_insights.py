"""Researchers' questions answered from the catalog: growth, dependence, exposure."""

import csv
import datetime
import io
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insights.serializers import DeliverySeriesSerializer, SeriesPointSerializer
from tests.test_api_queries import grow, grow_from
from vehicles.models import Brand, Delivery, DeliveryGap, DeliveryTotal, VehicleModel

D = datetime.date


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def points(body):
    return [
        (p["key"]["slug"], p["period"], p["units"], p["complete"], p["missing_months"])
        for p in body["results"]
    ]


@pytest.fixture
def gap(world):
    """HIMA reported August and October 2025 but not September; AITO reported stand-alone too."""
    hima = world.hima
    for month, units in [(D(2025, 8, 1), 44579)]:
        Delivery.objects.create(slug="hima-2025-08", alliance=hima, month=month, units=units)
    Delivery.objects.create(
        slug="aito-2025-11", brand=world.aito, month=D(2025, 11, 1), units=51677
    )
    Delivery.objects.create(
        slug="lynk-co-2025-11", brand=world.lynk, month=D(2025, 11, 1), units=30000
    )
    Delivery.objects.create(
        slug="hima-luxeed-2025-11",
        alliance=hima,
        brand=world.luxeed,
        month=D(2025, 11, 1),
        units=5000,
        precision="lower_bound",
    )
    return world


def test_alliance_growth_by_month_uses_alliance_totals_only(gap, client):
    body = get(client, "/api/v1/insights/deliveries/?alliance=hima")
    assert body["figures"].startswith("Alliance totals")
    assert (body["first_month"], body["last_month"]) == ("2025-08", "2025-12")
    assert points(body) == [
        ("hima", "2025-08", 44579, True, []),
        ("hima", "2025-09", None, False, ["2025-09"]),
        ("hima", "2025-10", 68216, True, []),
        ("hima", "2025-11", 81864, True, []),
        ("hima", "2025-12", 89611, True, []),
    ]


def test_a_quarter_with_a_missing_month_says_so(gap, client):
    body = get(client, "/api/v1/insights/deliveries/?alliance=hima&period=quarter")
    q3, q4 = body["results"]
    assert (q3["period"], q3["units"], q3["months_expected"], q3["months_reported"]) == (
        "2025-Q3",
        44579,
        2,
        1,
    )
    assert (q3["complete"], q3["missing_months"], q3["whole_period"]) == (False, ["2025-09"], False)
    assert (q4["period"], q4["units"], q4["complete"], q4["whole_period"]) == (
        "2025-Q4",
        239691,
        True,
        True,
    )


def test_brand_figures_are_counted_once(gap, client):
    """AITO is reported stand-alone and within HIMA for November: counted once."""
    body = get(
        client, "/api/v1/insights/deliveries/?group_by=brand&month__gte=2025-11&month__lte=2025-11"
    )
    assert [(p["key"]["slug"], p["units"], p["precision"]) for p in body["results"]] == [
        ("aito", 51677, "exact"),
        ("luxeed", 5000, "lower_bound"),
        ("lynk-co", 30000, "exact"),
    ]


def test_deliveries_by_carmaker_group_and_year(gap, client):
    body = get(client, "/api/v1/insights/deliveries/?group_by=group&period=year")
    assert [
        (p["key"]["slug"], p["period"], p["units"], p["brands_reported"], p["complete"])
        for p in body["results"]
    ] == [
        ("chery", "2025", 5000, 1, True),
        ("geely-holding", "2025", 30000, 1, True),
        ("seres", "2025", 51677, 1, True),
    ]
    assert body["results"][0]["whole_period"] is False


def test_series_download_as_csv(gap, client):
    response = client.get("/api/v1/insights/deliveries/?alliance=hima&period=quarter&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [
        (r["key"], r["period"], r["units"], r["complete"], r["missing_months"]) for r in rows
    ] == [
        ("hima", "2025-Q3", "44579", "false", "2025-09"),
        ("hima", "2025-Q4", "239691", "true", ""),
    ]


@pytest.fixture
def gaps_and_totals(gap):
    """Besides `gap`: HIMA's September recorded as unpublished, AITO's stand-alone October
    as a gap, HIMA's fourth quarter reported as a total, a Lynk & Co figure for October
    within no alliance, approximate and computed, and Zeekr, Lynk & Co's sister brand in
    Geely, reporting November only."""
    world = gap
    zeekr = Brand.objects.create(slug="zeekr", name="Zeekr", group=world.lynk.group)
    Delivery.objects.create(slug="zeekr-2025-11", brand=zeekr, month=D(2025, 11, 1), units=20000)
    DeliveryGap.objects.create(
        slug="hima-2025-09-gap",
        alliance=world.hima,
        month=D(2025, 9, 1),
        reason="not_published",
        note="HIMA published no figure for September.",
    )
    DeliveryGap.objects.create(
        slug="aito-2025-10-gap",
        brand=world.aito,
        month=D(2025, 10, 1),
        reason="not_found",
        note="No stand-alone figure found for October.",
    )
    DeliveryTotal.objects.create(
        slug="hima-2025-q4",
        alliance=world.hima,
        first_month=D(2025, 10, 1),
        last_month=D(2025, 12, 1),
        units=240000,
        precision="approximate",
    )
    Delivery.objects.create(
        slug="lynk-co-2025-10",
        brand=world.lynk,
        month=D(2025, 10, 1),
        units=29000,
        precision="approximate",
        computed=True,
    )
    return world


SERIES_QUERIES = [
    f"group_by={group_by}&period={period}{months}"
    for group_by in ("alliance", "brand", "group")
    for period in ("month", "quarter", "year")
    for months in ("", "&month__gte=2025-09&month__lte=2025-11")
]


@pytest.mark.parametrize("query", SERIES_QUERIES)
def test_a_series_answer_is_what_its_documented_shape_makes_of_it(gaps_and_totals, client, query):
    """The points are built as the answer's serializer writes them: read back through it,
    every point comes out the same, field for field and in the same order."""
    # (A host whose URLs the serializer's URL fields accept: "testserver" has no domain.)
    response = client.get(f"/api/v1/insights/deliveries/?{query}", HTTP_HOST="localhost")
    body = response.json()
    assert body["results"]
    for point in body["results"]:
        shape = SeriesPointSerializer(data=point)
        assert shape.is_valid(), shape.errors
        assert list(shape.data.items()) == list(point.items())
    top = DeliverySeriesSerializer(data={**body, "results": []})
    assert top.is_valid(), top.errors
    assert {**top.data, "results": body["results"]} == body


@pytest.mark.parametrize("query", [q for q in SERIES_QUERIES if "alliance" not in q])
def test_a_filter_that_keeps_every_figure_gives_the_same_series(gaps_and_totals, client, query):
    """Figures chosen and summed in one pass (no filter but the months) or chosen among
    those a filter keeps (here every brand figure): the same series."""
    alone = client.get(f"/api/v1/insights/deliveries/?{query}")
    filtered = client.get(f"/api/v1/insights/deliveries/?{query}&brand__isnull=false")
    assert alone.status_code == filtered.status_code == 200
    assert alone.json() == filtered.json()


@pytest.mark.parametrize("group_by", ["alliance", "brand", "group"])
def test_a_series_no_figure_can_match_is_empty(gap, client, group_by):
    """Every figure is an alliance's or a brand's: asking for neither finds none."""
    body = get(
        client,
        f"/api/v1/insights/deliveries/?group_by={group_by}"
        "&alliance__isnull=true&brand__isnull=true",
    )
    assert (body["first_month"], body["results"]) == (None, [])


@pytest.mark.parametrize(
    "figures",
    [
        "units__gte=50000",
        "precision=exact",
        "computed=false",
        "month__n=2025-10",
        "month=2025-10",
        "month__lt=2025-11",
        "month__gt=2025-09",
        "slug=aito-2025-10",
        "q=aito",
    ],
)
def test_a_series_refuses_filters_that_would_make_reported_months_read_as_missing(
    gaps_and_totals, client, figures
):
    """A series sums periods and lists the months missing from each: a filter choosing
    single figures (by units, precision, a month picked or set aside) would list a month
    whose figure it set aside as missing, though the month was reported. It is refused,
    the answer naming what a series takes: the series and the window's two ends."""
    response = client.get(f"/api/v1/insights/deliveries/?group_by=brand&{figures}")
    assert response.status_code == 400
    (name,) = response.json()["errors"]
    assert name == figures.split("=")[0]
    assert response.json()["errors"][name] == [
        "Unknown query parameter. Accepted: alliance, alliance__isnull, alliance__n, brand, "
        "brand__isnull, brand__n, format, group, group__n, group_by, month__gte, month__lte, "
        "period."
    ]


def test_a_series_window_beginning_after_this_month_is_refused(gaps_and_totals, client):
    with mock.patch("insights.views.today", return_value=datetime.date(2026, 1, 15)):
        response = client.get("/api/v1/insights/deliveries/?month__gte=2026-02")
        assert response.json()["errors"] == {
            "month__gte": [
                "2026-02 is after the current month (2026-01): no figure can be reported "
                "for it yet."
            ]
        }
        assert client.get("/api/v1/insights/deliveries/?month__gte=2026-01").status_code == 200


def test_a_brand_series_marks_gaps_precision_and_computed_figures(gaps_and_totals, client):
    body = get(client, "/api/v1/insights/deliveries/?group_by=brand&period=quarter")
    assert [
        (
            p["key"]["slug"],
            p["period"],
            p["units"],
            p["months_reported"],
            p["missing_months"],
            [gap["slug"] for gap in p["known_gaps"]],
            p["precision"],
            p["computed_figures"],
            p["brands_reported"],
        )
        for p in body["results"]
    ] == [
        ("aito", "2025-Q4", 51677, 1, [], ["aito-2025-10-gap"], "exact", 0, 1),
        ("luxeed", "2025-Q4", 5000, 1, ["2025-10"], [], "lower_bound", 0, 1),
        ("lynk-co", "2025-Q4", 59000, 2, [], [], "approximate", 1, 1),
        ("zeekr", "2025-Q4", 20000, 1, ["2025-10"], [], "exact", 0, 1),
    ]
    assert (body["first_month"], body["last_month"]) == ("2025-10", "2025-11")


def test_a_group_series_names_the_brands_missing_a_month(gaps_and_totals, client):
    body = get(client, "/api/v1/insights/deliveries/?group_by=group&period=quarter")
    assert [
        (
            p["key"]["slug"],
            p["units"],
            p["months_reported"],
            p["brands_reported"],
            p["brands_expected"],
            p["brands_missing"],
            p["complete"],
        )
        for p in body["results"]
    ] == [
        ("chery", 5000, 1, 1, 1, ["luxeed"], False),
        ("geely-holding", 79000, 2, 2, 2, ["zeekr"], False),
        ("seres", 51677, 1, 1, 1, ["aito"], False),
    ]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("period=decade", "period"),
        ("group_by=planet", "group_by"),
        ("month__gte=2025-13", "month__gte"),
        ("colour=red", "colour"),
    ],
)
def test_series_parameters_are_strict(world, client, query, param):
    response = client.get(f"/api/v1/insights/deliveries/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]


def test_a_brands_stack_with_supplier_countries(world, client):
    body = get(client, "/api/v1/brands/lynk-co/stack/?as_of=2024-06-30")
    layers = {layer["layer"]: layer for layer in body["layers"]}
    assert body["home_country"] == "CN"
    assert body["vehicle_models"] == 1
    assert [
        (i["product"]["slug"], i["supplier"]["slug"], i["supplier"]["country"])
        for i in layers["cockpit_os"]["items"]
    ] == [("flyme-auto", "meizu", "CN")]
    assert layers["cockpit_os"]["domestic"] == {"suppliers": 1, "vehicle_models": 1}
    assert layers["adas_chip"]["foreign"] == {"suppliers": 1, "vehicle_models": 1}
    assert layers["adas_chip"]["by_country"] == [
        {"country": "US", "suppliers": 1, "vehicle_models": 1}
    ]
    partners = {p["kind"]: p for p in body["partners"]}
    assert [(d["partner"]["slug"], d["level"]) for d in partners["telecom"]["partnerships"]] == [
        ("china-mobile", "group")
    ]
    assert [d["partner"]["slug"] for d in partners["chip"]["partnerships"]] == ["nvidia"]
    assert (partners["chip"]["domestic"], partners["chip"]["foreign"]) == (0, 1)


def test_a_stack_answers_for_a_past_date(world, client):
    """Before the 08 launched and before the Nvidia deal, Lynk & Co had neither."""
    body = get(client, "/api/v1/brands/lynk-co/stack/?as_of=2020-12-31")
    assert body["vehicle_models"] == 0
    assert all(layer["items"] == [] for layer in body["layers"])
    assert [p["kind"] for p in body["partners"]] == ["telecom"]
    after = get(client, "/api/v1/brands/lynk-co/stack/?as_of=2025-06-01")
    assert "chip" not in [p["kind"] for p in after["partners"]]


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("as_of=2025-02-30", "as_of", "'2025-02-30' is not a date"),
        ("as_of=", "as_of", "Give a value, or leave the parameter out."),
        ("as_of=2025-01-01&as_of=2025-02-01", "as_of", "Give this parameter once"),
        ("asof=2025-01-01", "asof", "Unknown query parameter. Accepted: as_of, format."),
    ],
)
def test_stack_parameters_are_strict(world, client, query, param, message):
    response = client.get(f"/api/v1/brands/aito/stack/?{query}")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [param]
    assert errors[param][0].startswith(message)


def test_a_stack_is_also_read_with_a_format_suffix_like_the_brand_itself(world, client):
    suffixed = client.get("/api/v1/brands/lynk-co/stack.json?as_of=2024-06-30")
    assert suffixed.status_code == 200, suffixed.content
    assert suffixed.json() == get(client, "/api/v1/brands/lynk-co/stack/?as_of=2024-06-30")
    assert client.get("/api/v1/brands/nobody/stack/").json()["code"] == "not_found"


def test_dependencies_share_of_brands_and_models_by_country(gap, client):
    body = get(client, "/api/v1/insights/dependencies/?weight_from=2025-11&weight_to=2025-11")
    layers = {layer["layer"]: layer for layer in body["results"]}
    assert body["brands"] == 3
    adas = layers["adas_stack"]
    assert (adas["brands"], adas["vehicle_models"]) == (3, 3)
    assert adas["domestic"] == {
        "brands": 2,
        "brand_share": 0.6667,
        "vehicle_models": 2,
        "model_share": 0.6667,
        "units": 51677 + 5000,
        "weighted_share": round(56677 / 86677, 4),
    }
    assert adas["foreign"]["brands"] == 1
    assert adas["foreign"]["units"] == 30000
    assert adas["weight_coverage"] == {"brands_with_figures": 3, "brands": 3, "units": 86677}
    cockpit_chip = layers["cockpit_chip"]
    assert [
        (c["country"], c["brands"], c["vehicle_models"]) for c in cockpit_chip["by_country"]
    ] == [
        ("CN", 1, 1),
        ("US", 1, 1),
    ]
    assert layers["telecom"]["domestic"]["brands"] == 1
    assert layers["telecom"]["vehicle_models"] is None


def test_dependencies_of_an_alliance_only(gap, client):
    body = get(client, "/api/v1/insights/dependencies/?alliance=hima&layer=cockpit_os")
    assert body["brands"] == 2
    [layer] = body["results"]
    assert layer["domestic"]["brand_share"] == 1.0
    assert layer["foreign"]["brands"] == 0


def test_exposure_to_a_supplier_and_its_subsidiaries(gap, client):
    body = get(
        client, "/api/v1/insights/exposure/?company=huawei&month_from=2025-11&month_to=2025-11"
    )
    assert [(r["brand"]["slug"], r["layers"], r["units"]) for r in body["results"]] == [
        ("aito", ["adas_stack", "cockpit_chip", "cockpit_os", "partnership:adas"], 51677),
        ("luxeed", ["adas_stack", "cockpit_os"], 5000),
    ]
    assert body["totals"] == {
        "brands": 2,
        "vehicle_models": 2,
        "brands_with_figures": 2,
        "units": 56677,
    }


def test_exposure_to_a_country(world, client):
    body = get(client, "/api/v1/insights/exposure/?country=US&as_of=2024-06-30")
    [lynk] = body["results"]
    assert lynk["brand"]["slug"] == "lynk-co"
    assert lynk["layers"] == [
        "adas_chip",
        "adas_compute",
        "adas_stack",
        "cockpit_chip",
        "partnership:chip",
    ]
    assert lynk["vehicle_models"][0]["vehicle_model"]["slug"] == "lynk-co-08"


def test_exposure_to_a_foundry(world, client):
    body = get(client, "/api/v1/insights/exposure/?company=tsmc")
    assert [(r["brand"]["slug"], r["layers"]) for r in body["results"]] == [
        ("lynk-co", ["chip_foundry"])
    ]


def test_exposure_needs_a_supplier(world, client):
    response = client.get("/api/v1/insights/exposure/")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "company": ["Give a supplier (company=<slug>) or a country (country=US)."]
    }


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/insights/deliveries/?period=quarter",
        "/api/v1/insights/deliveries/?group_by=group",
        "/api/v1/insights/dependencies/",
        "/api/v1/insights/exposure/?country=CN",
        "/api/v1/brands/b1/stack/",
    ],
)
def test_insight_query_counts_do_not_grow_with_the_data(world, client, url):
    grow(world, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    grow_more = VehicleModel.objects.count()
    for index in range(3, 40):
        grow_from(world, index)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert VehicleModel.objects.count() > grow_more
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("url", "first_columns"),
    [
        ("/api/v1/insights/deliveries/?month__gte=2001-01&month__lte=2001-03", ["key", "period"]),
        ("/api/v1/insights/exposure/?country=KR", ["brand"]),
    ],
)
def test_an_empty_answer_as_csv_still_names_its_columns(world, client, url, first_columns):
    response = client.get(url + "&format=csv")
    assert response.status_code == 200, response.content
    [header] = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[: len(first_columns)] == first_columns


def test_a_group_point_is_complete_only_when_every_brand_of_the_group_reported(gap, client):
    """Seres has a second brand that reported November only: Seres' October is incomplete
    and names it, even though AITO reported; a filter that removes that brand's figure
    does not make it vanish from the group: November says it is missing too."""
    second = Brand.objects.create(slug="seres-second", name="Seres Second", group=gap.seres)
    Delivery.objects.create(
        slug="seres-second-2025-11", brand=second, month=D(2025, 11, 1), units=1000
    )
    Delivery.objects.create(slug="aito-2025-10", brand=gap.aito, month=D(2025, 10, 1), units=40000)
    window = "group=seres&group_by=group&month__gte=2025-10&month__lte=2025-11"
    body = get(client, f"/api/v1/insights/deliveries/?{window}")
    assert [
        (p["period"], p["units"], p["brands_expected"], p["brands_missing"], p["complete"])
        for p in body["results"]
    ] == [
        ("2025-10", 40000, 2, ["seres-second"], False),
        ("2025-11", 52677, 2, [], True),
    ]
    body = get(client, f"/api/v1/insights/deliveries/?{window}&brand__n=seres-second")
    assert [
        (p["period"], p["units"], p["brands_missing"], p["complete"]) for p in body["results"]
    ] == [
        ("2025-10", 40000, ["seres-second"], False),
        ("2025-11", 51677, ["seres-second"], False),
    ]


@pytest.mark.parametrize(
    ("url", "given", "other"),
    [
        ("/api/v1/insights/dependencies/?weight_from=2099-01", "weight_from", "weight_to"),
        ("/api/v1/insights/dependencies/?weight_to=1900-01", "weight_to", "weight_from"),
        ("/api/v1/insights/exposure/?company=huawei&month_from=2099-12", "month_from", "month_to"),
        ("/dependencies/?weight_from=2099-01", "weight_from", "weight_to"),
    ],
)
def test_a_window_reversed_against_its_default_end_is_refused(world, client, url, given, other):
    """One end given, the other taken from the latest year of figures: a window that
    would end before it begins was answered with zeros (a 200); it is a 400 naming the
    end given and the one taken."""
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        (message,) = response.json()["errors"][given]
        assert message.startswith(f"The window would end before it begins: {given} is ")
        assert f"and {other}, left out, is " in message
    else:
        assert b"The window would end before it begins" in response.content
