"""The consistency audit: each rule caught by a record that breaks it, through every door."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Source
from insights.audit import AcceptanceError, read_acceptances, run_audit
from tests.test_api_queries import grow
from vehicles.models import (
    AllianceMembership,
    Delivery,
    DeliveryTotal,
    Partnership,
    VehicleModelChip,
)

D = datetime.date


def findings(**kwargs):
    """(rule, [records], message) of every finding, with nothing accepted."""
    report = run_audit(acceptances={}, **kwargs)
    return [(f.rule, [str(r) for r in f.records], f.message) for f in report.findings]


def test_the_test_catalog_breaks_no_rule(world):
    assert findings() == []


def test_an_alliance_total_below_its_brands_sum_is_found(world):
    Delivery.objects.create(
        slug="hima-luxeed-2025-11",
        alliance=world.hima,
        brand=world.luxeed,
        month=D(2025, 11, 1),
        units=40000,
    )
    assert findings(rules=["alliance_total_below_members"]) == [
        (
            "alliance_total_below_members",
            ["delivery:hima-2025-11", "delivery:hima-aito-2025-11", "delivery:hima-luxeed-2025-11"],
            "hima 2025-11: the total 81864 is below its brands' 91677 (2 figures).",
        )
    ]


def test_a_total_that_disagrees_with_its_stored_months_is_found(world):
    DeliveryTotal.objects.create(
        slug="hima-2025-q4",
        alliance=world.hima,
        first_month=D(2025, 10, 1),
        last_month=D(2025, 12, 1),
        units=240000,
    )
    # A total whose months are not all stored is not judged.
    DeliveryTotal.objects.create(
        slug="hima-2025-h2",
        alliance=world.hima,
        first_month=D(2025, 7, 1),
        last_month=D(2025, 12, 1),
        units=1,
    )
    assert findings(rules=["total_disagrees_with_months"]) == [
        (
            "total_disagrees_with_months",
            ["deliverytotal:hima-2025-q4"],
            "hima-2025-q4: the total is 240000, its 3 months add up to 239691 (difference 309).",
        )
    ]


def test_an_approximate_total_may_differ_by_rounding_only(world):
    DeliveryTotal.objects.create(
        slug="hima-2025-q4",
        alliance=world.hima,
        first_month=D(2025, 10, 1),
        last_month=D(2025, 12, 1),
        units=240000,
        precision="approximate",
    )
    assert findings(rules=["total_disagrees_with_months"]) == []
    DeliveryTotal.objects.filter(slug="hima-2025-q4").update(units=250000)
    assert [f[1] for f in findings(rules=["total_disagrees_with_months"])] == [
        ["deliverytotal:hima-2025-q4"]
    ]


def test_a_membership_or_figure_before_the_alliance_was_founded_is_found(world):
    AllianceMembership.objects.create(
        slug="hima-lynk-co", alliance=world.hima, brand=world.lynk, joined_on=D(2021, 6, 1)
    )
    Delivery.objects.create(slug="hima-2021-11", alliance=world.hima, month=D(2021, 11, 1), units=5)
    assert findings(rules=["outside_alliance_life"]) == [
        (
            "outside_alliance_life",
            ["alliancemembership:hima-lynk-co"],
            "hima-lynk-co joined on 2021-06-01, before hima was founded on 2021-12-01.",
        ),
        (
            "outside_alliance_life",
            ["delivery:hima-2021-11"],
            "hima-2021-11 starts in 2021-11, before hima was founded on 2021-12-01.",
        ),
    ]


def test_a_brand_figure_within_an_alliance_it_had_not_joined_is_found(world):
    Delivery.objects.create(
        slug="hima-lynk-co-2025-11",
        alliance=world.hima,
        brand=world.lynk,
        month=D(2025, 11, 1),
        units=100,
    )
    # Luxeed joined in November 2023: a figure for that month is covered.
    Delivery.objects.create(
        slug="hima-luxeed-2023-11",
        alliance=world.hima,
        brand=world.luxeed,
        month=D(2023, 11, 1),
        units=100,
    )
    assert findings(rules=["figure_without_membership"]) == [
        (
            "figure_without_membership",
            ["delivery:hima-lynk-co-2025-11"],
            "hima-lynk-co-2025-11: the brand has no membership of the alliance in force in 2025-11.",
        )
    ]


def test_a_driver_assist_chip_missing_from_the_models_stack_is_found(world):
    VehicleModelChip.objects.create(vehicle_model=world.m5, chip=world.orin, role="adas")
    # A cockpit chip is not the stack's business.
    VehicleModelChip.objects.create(vehicle_model=world.m5, chip=world.sa8295, role="cockpit")
    assert findings(rules=["chips_missing_from_stack"]) == [
        (
            "chips_missing_from_stack",
            ["vehiclemodel:aito-m5", "driverassiststack:huawei-ads-4", "chip:orin-x"],
            "aito-m5 computes driver assist on orin-x, which its stack huawei-ads-4 does not list.",
        )
    ]


def test_a_source_that_backs_nothing_is_found(world):
    Source.objects.create(slug="orphan", title="T", publisher="P", url="https://example.org/orphan")
    assert findings(rules=["uncited_sources"]) == [
        ("uncited_sources", ["source:orphan"], "orphan backs nothing.")
    ]


def test_a_fact_resting_on_weak_sources_only_is_found(world):
    weak = Source.objects.create(
        slug="mirror", title="T", publisher="P", url="https://example.org/m", reliability="weak"
    )
    world.aito_huawei.sources.add(weak)
    world.telecom.sources.add(weak)  # it cites a press source too: one good source is enough
    assert findings(rules=["weak_sources_only"]) == [
        (
            "weak_sources_only",
            ["partnership:aito-huawei-ads"],
            "partnership aito-huawei-ads cites weak sources only.",
        )
    ]


def test_an_open_relation_of_a_brand_that_has_ended_is_found(world):
    world.lynk08.discontinued_on = D(2024, 12, 31)
    world.lynk08.save()
    Partnership.objects.create(
        slug="lynk-co-qualcomm", brand=world.lynk, partner=world.qualcomm, kind="chip"
    )
    assert findings(rules=["stale_ongoing"]) == [
        (
            "stale_ongoing",
            ["partnership:lynk-co-qualcomm", "brand:lynk-co"],
            "lynk-co-qualcomm is open, but every vehicle model of lynk-co is discontinued.",
        )
    ]


def test_an_accepted_finding_carries_its_reason_and_a_stale_acceptance_is_reported(world):
    Source.objects.create(slug="orphan", title="T", publisher="P", url="https://example.org/o")
    report = run_audit(
        acceptances={
            ("uncited_sources", "source:orphan"): "Backs a document.",
            ("uncited_sources", "source:gone"): "Was fixed.",
        }
    )
    (finding,) = report.findings
    assert (finding.accepted, finding.reason) == (True, "Backs a document.")
    assert report.unaccepted == []
    assert report.unused_acceptances == ["uncited_sources source:gone"]


def test_the_command_fails_on_a_finding_nobody_accepted(world, capsys):
    call_command("audit_catalog", "--rule", "uncited_sources")
    assert "1 rules, 0 findings, 0 accepted, 0 not accepted." in capsys.readouterr().out
    Source.objects.create(slug="orphan", title="T", publisher="P", url="https://example.org/o")
    with pytest.raises(CommandError, match="1 finding"):
        call_command("audit_catalog", "--rule", "uncited_sources")
    out = capsys.readouterr().out
    assert "FINDING [uncited_sources] source:orphan: orphan backs nothing." in out


def test_a_malformed_acceptance_file_is_refused(tmp_path):
    path = tmp_path / "accepted.yaml"
    path.write_text("accepted:\n  - {rule: no_such_rule, records: [x:y], reason: r}\n")
    with pytest.raises(AcceptanceError, match="unknown rule 'no_such_rule'"):
        read_acceptances(path)
    path.write_text("accepted:\n  - {rule: uncited_sources, records: [source:x], reason: ''}\n")
    with pytest.raises(AcceptanceError, match="the reason is empty"):
        read_acceptances(path)


def test_a_researcher_reads_the_same_findings_from_the_api(world, client):
    Source.objects.create(slug="orphan", title="T", publisher="P", url="https://example.org/o")
    response = client.get("/api/v1/insights/audit/?rule=uncited_sources&accepted=false")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totals"] == {"findings": 1, "accepted": 0, "unaccepted": 1}
    assert body["rules"] == [
        {
            "rule": "uncited_sources",
            "description": "A source is cited by no fact.",
            "findings": 1,
            "unaccepted": 1,
        }
    ]
    assert body["findings"] == [
        {
            "rule": "uncited_sources",
            "records": [
                {
                    "kind": "source",
                    "slug": "orphan",
                    "url": "http://testserver/api/v1/sources/orphan/",
                }
            ],
            "message": "orphan backs nothing.",
            "accepted": False,
            "reason": "",
        }
    ]


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("rule=nope", "rule", "Unknown rule 'nope'. Accepted: alliance_total_below_members, "),
        ("accepted=maybe", "accepted", "Enter true or false."),
        ("accepted=yes", "accepted", "Enter true or false."),
        ("accepted=true&accepted=false", "accepted", "Give this parameter once"),
        ("colour=red", "colour", "Unknown query parameter. Accepted: accepted, format, rule."),
    ],
)
def test_the_audit_endpoint_refuses_what_it_does_not_take(world, client, query, param, message):
    # Its parameters are read as every list's are: one spelling of a boolean, one value.
    response = client.get(f"/api/v1/insights/audit/?{query}")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [param]
    assert errors[param][0].startswith(message)


def test_the_audit_takes_the_same_queries_however_large_the_catalog(world, client):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/insights/audit/").status_code == 200
        return len(queries)

    few = count()
    grow(world, 12)
    assert count() == few


def test_the_seed_data_passes_the_audit_or_says_why(seeded):
    report = run_audit()
    assert [(f.rule, str(f.records[0]), f.message) for f in report.unaccepted] == []
    assert report.unused_acceptances == []
