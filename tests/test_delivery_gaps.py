"""Months known to have no figure: recorded with a reason, shown as such by the series."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import ApiToken
from tests.conftest import user_with
from tests.test_api_queries import queries_for
from vehicles.models import Delivery, DeliveryGap, DeliveryTotal
from vehicles.seed import SeedError, load_catalog

D = datetime.date


@pytest.fixture
def gaps(world):
    """HIMA reported August, October to December 2025; it published nothing for September."""
    Delivery.objects.create(
        slug="hima-2025-08", alliance=world.hima, month=D(2025, 8, 1), units=44579
    )
    september = DeliveryGap.objects.create(
        slug="hima-2025-09-gap",
        alliance=world.hima,
        month=D(2025, 9, 1),
        reason="not_published",
        note="HIMA published no figure for September.",
    )
    september.sources.add(world.src)
    DeliveryGap.objects.create(
        slug="hima-aito-2025-10-gap",
        alliance=world.hima,
        brand=world.aito,
        month=D(2025, 10, 1),
        reason="only_broader",
        note="Only HIMA's total was given.",
    )
    return world


def series(client, query):
    response = client.get(f"/api/v1/insights/deliveries/?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_researcher_sees_a_known_gap_with_its_reason_not_as_missing(gaps, client):
    body = series(client, "alliance=hima&month__gte=2025-08&month__lte=2025-10")
    assert [
        (p["period"], p["units"], p["complete"], p["missing_months"], p["known_gaps"])
        for p in body["results"]
    ] == [
        ("2025-08", 44579, True, [], []),
        (
            "2025-09",
            None,
            False,
            [],
            [
                {
                    "slug": "hima-2025-09-gap",
                    "month": "2025-09",
                    "reason": "not_published",
                    "note": "HIMA published no figure for September.",
                }
            ],
        ),
        ("2025-10", 68216, True, [], []),
    ]


def test_a_quarter_with_a_gap_is_incomplete_and_names_it(gaps, client):
    body = series(client, "alliance=hima&period=quarter&month__gte=2025-07&month__lte=2025-09")
    (q3,) = body["results"]
    assert (q3["units"], q3["complete"], q3["missing_months"]) == (44579, False, ["2025-07"])
    assert [gap["month"] for gap in q3["known_gaps"]] == ["2025-09"]


def test_a_brand_series_reports_the_brands_gaps(gaps, client):
    body = series(client, "group_by=brand&brand=aito&month__gte=2025-10&month__lte=2025-11")
    assert [
        (p["period"], p["units"], [g["reason"] for g in p["known_gaps"]]) for p in body["results"]
    ] == [
        ("2025-10", None, ["only_broader"]),
        ("2025-11", 51677, []),
    ]


def test_the_default_range_reaches_gaps_after_the_latest_figure(world, client):
    DeliveryGap.objects.create(
        slug="hima-2026-02-gap",
        alliance=world.hima,
        month=D(2026, 2, 1),
        reason="not_found",
        note="No page found.",
    )
    body = series(client, "alliance=hima")
    assert body["last_month"] == "2026-02"
    last = body["results"][-1]
    assert (last["period"], last["complete"], last["missing_months"]) == ("2026-02", False, [])
    assert [p["period"] for p in body["results"] if p["missing_months"]] == ["2026-01"]


def test_a_reported_total_that_disagrees_with_its_months_is_shown(world, client):
    DeliveryTotal.objects.create(
        slug="hima-2025-q4",
        alliance=world.hima,
        first_month=D(2025, 10, 1),
        last_month=D(2025, 12, 1),
        units=239000,
        precision="approximate",
    )
    body = series(client, "alliance=hima&period=quarter&month__gte=2025-10&month__lte=2025-12")
    (q4,) = body["results"]
    assert (q4["units"], q4["complete"]) == (68216 + 81864 + 89611, True)
    assert q4["reported_total"] == {
        "slug": "hima-2025-q4",
        "units": 239000,
        "precision": "approximate",
    }
    assert q4["reported_total_difference"] == 239000 - 239691


def test_a_month_is_a_figure_or_a_gap_never_both(gaps):
    september_figure = Delivery(
        slug="hima-2025-09", alliance=gaps.hima, month=D(2025, 9, 1), units=1
    )
    with pytest.raises(ValidationError) as error:
        september_figure.full_clean()
    assert "recorded as a gap" in error.value.message_dict["month"][0]
    gap_over_figure = DeliveryGap(
        slug="x", alliance=gaps.hima, month=D(2025, 10, 1), reason="not_found", note="n"
    )
    with pytest.raises(ValidationError) as error:
        gap_over_figure.full_clean()
    assert "it is not a gap" in error.value.message_dict["month"][0]
    # The database refuses both ways too, whatever path writes the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        september_figure.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        gap_over_figure.save()
    assert Delivery.objects.filter(month=D(2025, 9, 1), alliance=gaps.hima).count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"month": D(2025, 5, 1), "reason": "not_found", "note": "n"},  # no reporter
        {"alliance": "hima", "month": D(2025, 5, 1), "reason": "not_found", "note": ""},
        {"alliance": "hima", "month": D(2025, 5, 2), "reason": "not_found", "note": "n"},
        {"alliance": "hima", "month": D(2025, 5, 1), "reason": "lost", "note": "n"},
        {"alliance": "hima", "month": D(2025, 9, 1), "reason": "not_found", "note": "n"},  # twice
    ],
)
def test_the_database_refuses_a_broken_gap(gaps, fields):
    if fields.get("alliance"):
        fields["alliance"] = gaps.hima
    before = DeliveryGap.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryGap.objects.create(slug="broken", **fields)
    assert DeliveryGap.objects.count() == before


def test_gaps_are_listed_and_filtered_by_reason(gaps, client):
    response = client.get("/api/v1/delivery-gaps/?reason=not_published")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert {k: row[k] for k in ("slug", "month", "brand", "reason")} == {
        "slug": "hima-2025-09-gap",
        "month": "2025-09",
        "brand": None,
        "reason": "not_published",
    }
    assert row["alliance"]["slug"] == "hima"
    assert [s["slug"] for s in row["sources"]] == ["test-source"]
    response = client.get("/api/v1/delivery-gaps/?reason=forgotten")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]


def test_an_editor_records_a_gap_and_cannot_then_store_a_figure_over_it(world, client):
    _, raw = ApiToken.issue(
        user=user_with("vehicles.add_deliverygap", "vehicles.add_delivery"), name="tests"
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = client.post(
        "/api/v1/delivery-gaps/",
        {"alliance": "hima", "month": "2025-03", "reason": "not_published", "note": "Silent."},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "hima-2025-03-gap"
    response = client.post(
        "/api/v1/deliveries/",
        {"alliance": "hima", "month": "2025-03", "units": 30000},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 400, response.content
    assert "recorded as a gap" in str(response.json())
    assert not Delivery.objects.filter(alliance=world.hima, month=D(2025, 3, 1)).exists()


def test_listing_gaps_takes_the_same_queries_for_2_and_40_rows(gaps, client):
    def count():
        return queries_for(client, "/api/v1/delivery-gaps/?limit=100")[0]

    few = count()
    for month in range(1, 13):
        for year in (2021, 2022, 2023):
            if DeliveryGap.objects.filter(
                alliance=gaps.hima, brand=None, month=D(year, month, 1)
            ).exists():
                continue
            gap = DeliveryGap.objects.create(
                slug=f"g-{year}-{month}",
                alliance=gaps.hima,
                month=D(year, month, 1),
                reason="not_found",
                note="n",
            )
            gap.sources.add(gaps.src)
    assert DeliveryGap.objects.count() >= 38
    assert count() == few


def write(tmp_path, text):
    path = tmp_path / "gaps.yaml"
    path.write_text(text, encoding="utf-8")
    return [path]


SOURCE = """
sources:
  - {slug: s, title: T, publisher: P, url: "https://example.org/s"}
companies:
  - {slug: l, name: L, country: CN, sources: [s]}
alliances:
  - {slug: a, name: A, leader: l, kind: alliance, sources: [s]}
"""


def test_the_loader_takes_an_unsourced_gap_only_when_nothing_was_found(db, tmp_path):
    stats = load_catalog(
        write(
            tmp_path,
            SOURCE
            + """
delivery_gaps:
  - {alliance: a, month: "2025-03", reason: not_found, note: "Searched X and Y."}
""",
        )
    )
    assert stats["delivery_gaps"]["created"] == 1
    assert DeliveryGap.objects.get().slug == "a-2025-03-gap"
    with pytest.raises(SeedError, match="every fact needs at least one source"):
        load_catalog(
            write(
                tmp_path,
                SOURCE
                + """
delivery_gaps:
  - {alliance: a, month: "2025-04", reason: not_published, note: "Silent."}
""",
            )
        )


def test_the_loader_refuses_a_gap_where_a_figure_is_given(db, tmp_path):
    with pytest.raises(SeedError, match="it is not a gap"):
        load_catalog(
            write(
                tmp_path,
                SOURCE
                + """
deliveries:
  - {alliance: a, month: "2025-03", units: 10, sources: [s]}
delivery_gaps:
  - {alliance: a, month: "2025-03", reason: not_found, note: "n"}
""",
            )
        )
    assert not DeliveryGap.objects.exists()
    assert not Delivery.objects.exists()
