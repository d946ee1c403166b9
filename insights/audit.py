"""The consistency audit: rules the database cannot enforce, as small named checks.

Each check reads the catalog (in a fixed number of queries) and returns findings; a
finding names its rule, the records involved and what is wrong. Findings the catalog
knowingly keeps are listed with a reason in fixtures/audit/accepted.yaml; everything
else is unaccepted. `manage.py audit_catalog`, /api/v1/insights/audit/ and the tests run
the same checks through run_audit().
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from catalog.docs import read_yaml
from catalog.models import Reliability, Source
from partners.models import Alliance
from vehicles.models import (
    AllianceMembership,
    Delivery,
    DeliveryGap,
    DeliveryTotal,
    Partnership,
    Precision,
    VehicleModel,
    VehicleModelChip,
)

ACCEPTED_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "audit" / "accepted.yaml"

# Reported figures are rounded; a total that is itself approximate, or months that are,
# may differ from each other by this share without being a contradiction.
APPROXIMATE_TOLERANCE = 0.02


@dataclass(frozen=True)
class Record:
    """A catalog row a finding names: its kind (the API resource's model) and slug."""

    kind: str
    slug: str

    def __str__(self):
        return f"{self.kind}:{self.slug}"


@dataclass
class Finding:
    rule: str
    records: list
    message: str
    accepted: bool = False
    reason: str = ""

    @property
    def key(self):
        """What an acceptance names: the rule and the finding's first record."""
        return (self.rule, str(self.records[0]))


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: object = field(repr=False)


RULES = []


def rule(description):
    """Register a check under its function's name."""

    def register(check):
        RULES.append(Rule(check.__name__, description, check))
        return check

    return register


def first_of_month(day):
    return day.replace(day=1)


def month_label(month):
    return f"{month:%Y-%m}"


# --- deliveries -----------------------------------------------------------------------


@rule("An alliance's monthly total is smaller than the sum of its brands' figures that month.")
def alliance_total_below_members(today):
    totals = {
        (row["alliance"], row["month"]): row
        for row in Delivery.objects.filter(alliance__isnull=False, brand__isnull=True).values(
            "alliance", "month", "units", "slug", alliance_slug=F("alliance__slug")
        )
    }
    members = (
        Delivery.objects.filter(alliance__isnull=False, brand__isnull=False)
        .values("alliance", "month")
        .annotate(units=Sum("units"), figures=Count("id"))
        .order_by("alliance__slug", "month")  # a grouped query has no order of its own
    )
    slugs = defaultdict(list)
    for alliance, month, slug in Delivery.objects.filter(
        alliance__isnull=False, brand__isnull=False
    ).values_list("alliance", "month", "slug"):
        slugs[(alliance, month)].append(slug)
    findings = []
    for row in members:
        total = totals.get((row["alliance"], row["month"]))
        if total and total["units"] < row["units"]:
            findings.append(
                Finding(
                    "alliance_total_below_members",
                    [Record("delivery", total["slug"])]
                    + [
                        Record("delivery", slug)
                        for slug in sorted(slugs[(row["alliance"], row["month"])])
                    ],
                    f"{total['alliance_slug']} {month_label(row['month'])}: the total "
                    f"{total['units']} is below its brands' {row['units']} "
                    f"({row['figures']} figures).",
                )
            )
    return findings


def _period_months(first, last):
    return (last.year - first.year) * 12 + last.month - first.month + 1


@rule(
    "A total over several months disagrees with the sum of its months, all of which are "
    "stored (exactly when every figure is exact, within 2% when any is approximate; a lower "
    "bound only counts against a total it exceeds)."
)
def total_disagrees_with_months(today):
    findings = []
    totals = list(
        DeliveryTotal.objects.values(
            "slug", "alliance", "brand", "first_month", "last_month", "units", "precision"
        )
    )
    months = defaultdict(list)
    for row in Delivery.objects.values("alliance", "brand", "month", "units", "precision"):
        months[(row["alliance"], row["brand"])].append(row)
    for total in totals:
        inside = [
            row
            for row in months[(total["alliance"], total["brand"])]
            if total["first_month"] <= row["month"] <= total["last_month"]
        ]
        if len(inside) < _period_months(total["first_month"], total["last_month"]):
            continue
        summed = sum(row["units"] for row in inside)
        precisions = {total["precision"], *(row["precision"] for row in inside)}
        if Precision.LOWER_BOUND in precisions:
            wrong = summed > total["units"] and total["precision"] == Precision.EXACT
        elif Precision.APPROXIMATE in precisions:
            wrong = abs(summed - total["units"]) > APPROXIMATE_TOLERANCE * total["units"]
        else:
            wrong = summed != total["units"]
        if wrong:
            findings.append(
                Finding(
                    "total_disagrees_with_months",
                    [Record("deliverytotal", total["slug"])],
                    f"{total['slug']}: the total is {total['units']}, its "
                    f"{len(inside)} months add up to {summed} "
                    f"(difference {total['units'] - summed}).",
                )
            )
    return findings


# --- alliances --------------------------------------------------------------------------


@rule(
    "A membership, or a figure reported within an alliance, is dated before the alliance was founded."
)
def outside_alliance_life(today):
    findings = []
    founded = dict(
        Alliance.objects.filter(founded_on__isnull=False).values_list("id", "founded_on")
    )
    slugs = dict(Alliance.objects.values_list("id", "slug"))
    for membership in AllianceMembership.objects.filter(
        alliance__in=list(founded), joined_on__isnull=False
    ).values("slug", "alliance", "joined_on"):
        if membership["joined_on"] < founded[membership["alliance"]]:
            findings.append(
                Finding(
                    "outside_alliance_life",
                    [Record("alliancemembership", membership["slug"])],
                    f"{membership['slug']} joined on {membership['joined_on']}, before "
                    f"{slugs[membership['alliance']]} was founded on "
                    f"{founded[membership['alliance']]}.",
                )
            )
    for model, kind, column in (
        (Delivery, "delivery", "month"),
        (DeliveryTotal, "deliverytotal", "first_month"),
        (DeliveryGap, "deliverygap", "month"),
    ):
        for row in model.objects.filter(alliance__in=list(founded)).values(
            "slug", "alliance", column
        ):
            if row[column] < first_of_month(founded[row["alliance"]]):
                findings.append(
                    Finding(
                        "outside_alliance_life",
                        [Record(kind, row["slug"])],
                        f"{row['slug']} starts in {month_label(row[column])}, before "
                        f"{slugs[row['alliance']]} was founded on {founded[row['alliance']]}.",
                    )
                )
    return findings


@rule(
    "A brand's figure reported within an alliance has no membership of that alliance in force that month."
)
def figure_without_membership(today):
    findings = []
    memberships = defaultdict(list)
    for row in AllianceMembership.objects.values("alliance", "brand", "joined_on", "left_on"):
        memberships[(row["alliance"], row["brand"])].append(row)
    for model, kind, first, last in (
        (Delivery, "delivery", "month", "month"),
        (DeliveryTotal, "deliverytotal", "first_month", "last_month"),
    ):
        rows = model.objects.filter(alliance__isnull=False, brand__isnull=False).values(
            "slug", "alliance", "brand", first, last
        )
        for row in rows:
            start, end = row[first], _month_end(row[last])
            in_force = any(
                (m["joined_on"] is None or m["joined_on"] <= end)
                and (m["left_on"] is None or m["left_on"] >= start)
                for m in memberships[(row["alliance"], row["brand"])]
            )
            if not in_force:
                findings.append(
                    Finding(
                        "figure_without_membership",
                        [Record(kind, row["slug"])],
                        f"{row['slug']}: the brand has no membership of the alliance in force "
                        f"in {month_label(start)}"
                        + ("" if first == last else f"..{month_label(row[last])}")
                        + ".",
                    )
                )
    return findings


def _month_end(month):
    following = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


# --- smart stack ----------------------------------------------------------------------


@rule("A vehicle model is fitted with a driver-assist chip its driver-assist stack does not list.")
def chips_missing_from_stack(today):
    listed = VehicleModelChip.objects.filter(
        vehicle_model=OuterRef("vehicle_model"),
        vehicle_model__adas_stack__compute_chips=OuterRef("chip"),
    )
    rows = (
        VehicleModelChip.objects.filter(role="adas", vehicle_model__adas_stack__isnull=False)
        .exclude(Exists(listed))
        .values_list("vehicle_model__slug", "vehicle_model__adas_stack__slug", "chip__slug")
        .order_by("vehicle_model__slug", "chip__slug")
    )
    return [
        Finding(
            "chips_missing_from_stack",
            [
                Record("vehiclemodel", model),
                Record("driverassiststack", stack),
                Record("chip", chip),
            ],
            f"{model} computes driver assist on {chip}, which its stack {stack} does not list.",
        )
        for model, stack, chip in rows
    ]


# --- sources --------------------------------------------------------------------------


def _citing_relations():
    """Every many-to-many from a catalog row to Source (reverse accessors on Source)."""
    return [
        relation
        for relation in Source._meta.get_fields()
        if relation.many_to_many
        and relation.auto_created
        and relation.related_model is not Source
        and not relation.related_model.__name__.startswith("Historical")
    ]


@rule("A source is cited by no fact.")
def uncited_sources(today):
    cited = Q()
    for relation in _citing_relations():
        cited |= Q(Exists(relation.related_model.objects.filter(sources=OuterRef("pk"))))
    rows = Source.objects.exclude(cited).values_list("slug", flat=True).order_by("slug")
    return [
        Finding("uncited_sources", [Record("source", slug)], f"{slug} backs nothing.")
        for slug in rows
    ]


@rule("A fact's sources are all weak (mirrors or unattributed copies).")
def weak_sources_only(today):
    findings = []
    for relation in _citing_relations():
        model = relation.related_model
        if not hasattr(model, "slug"):
            # Chip fittings are named through their vehicle model.
            continue
        strong = model.sources.through.objects.filter(
            **{f"{model._meta.model_name}_id": OuterRef("pk")}
        ).exclude(source__reliability=Reliability.WEAK)
        rows = (
            model.objects.filter(sources__isnull=False)
            .exclude(Exists(strong))
            .values_list("slug", flat=True)
            .distinct()
            .order_by("slug")
        )
        kind = model._meta.model_name
        findings += [
            Finding(
                "weak_sources_only", [Record(kind, slug)], f"{kind} {slug} cites weak sources only."
            )
            for slug in rows
        ]
    return findings


# --- dated relations --------------------------------------------------------------------


@rule(
    "A relation is still open (no end) though a party to it has ended: a brand whose vehicle "
    "models are all discontinued still has an open membership or partnership."
)
def stale_ongoing(today):
    ended = (
        VehicleModel.objects.values("brand")
        .annotate(
            models=Count("id"),
            on_sale=Count(
                "id", filter=Q(discontinued_on__isnull=True) | Q(discontinued_on__gt=today)
            ),
        )
        .filter(models__gt=0, on_sale=0)
        .values_list("brand", flat=True)
    )
    ended = set(ended)
    findings = []
    for model, kind, end in (
        (AllianceMembership, "alliancemembership", "left_on"),
        (Partnership, "partnership", "ended_on"),
    ):
        rows = (
            model.objects.filter(brand__in=ended, **{f"{end}__isnull": True})
            .values_list("slug", "brand__slug")
            .order_by("slug")
        )
        findings += [
            Finding(
                "stale_ongoing",
                [Record(kind, slug), Record("brand", brand)],
                f"{slug} is open, but every vehicle model of {brand} is discontinued.",
            )
            for slug, brand in rows
        ]
    return findings


# --- running -----------------------------------------------------------------------------


@dataclass
class Report:
    rules: list
    findings: list
    unused_acceptances: list

    @property
    def unaccepted(self):
        return [finding for finding in self.findings if not finding.accepted]


class AcceptanceError(Exception):
    """The accepted-findings file is malformed; the message says where."""


def read_acceptances(path=ACCEPTED_FILE):
    """{(rule, "kind:slug"): reason} from the accepted-findings file."""
    if not Path(path).exists():
        return {}
    data = read_yaml(Path(path).read_text(encoding="utf-8")) or {}
    known = {rule.name for rule in RULES}
    accepted = {}
    for index, entry in enumerate(data.get("accepted") or []):
        where = f"{path}: accepted entry {index + 1}"
        if not isinstance(entry, dict) or set(entry) != {"rule", "records", "reason"}:
            raise AcceptanceError(f"{where}: give exactly rule, records and reason")
        if entry["rule"] not in known:
            raise AcceptanceError(
                f"{where}: unknown rule {entry['rule']!r}; known: {sorted(known)}"
            )
        if not str(entry["reason"]).strip():
            raise AcceptanceError(f"{where}: the reason is empty")
        for record in entry["records"] or []:
            accepted[(entry["rule"], record)] = str(entry["reason"]).strip()
    return accepted


def run_audit(*, rules=None, acceptances=None, today=None):
    """Run the checks (all, or those named), marking the findings the catalog accepts."""
    today = today or datetime.date.today()
    acceptances = read_acceptances() if acceptances is None else acceptances
    selected = [r for r in RULES if not rules or r.name in rules]
    findings = []
    for checked in selected:
        findings += checked.check(today)
    used = set()
    for finding in findings:
        reason = acceptances.get(finding.key)
        if reason is not None:
            finding.accepted, finding.reason = True, reason
            used.add(finding.key)
    names = {r.name for r in selected}
    unused = sorted(
        f"{rule_name} {record}"
        for rule_name, record in acceptances
        if rule_name in names and (rule_name, record) not in used
    )
    return Report(selected, findings, unused)


def report_as_data(report):
    """The report as plain data: what the API answers and `audit_catalog --json` prints."""
    unaccepted = {rule.name: 0 for rule in report.rules}
    found = {rule.name: 0 for rule in report.rules}
    for finding in report.findings:
        found[finding.rule] += 1
        unaccepted[finding.rule] += not finding.accepted
    return {
        "rules": [
            {
                "rule": rule.name,
                "description": rule.description,
                "findings": found[rule.name],
                "unaccepted": unaccepted[rule.name],
            }
            for rule in report.rules
        ],
        "findings": [
            {
                "rule": finding.rule,
                "records": [{"kind": r.kind, "slug": r.slug} for r in finding.records],
                "message": finding.message,
                "accepted": finding.accepted,
                "reason": finding.reason,
            }
            for finding in report.findings
        ],
        "unused_acceptances": report.unused_acceptances,
        "totals": {
            "findings": len(report.findings),
            "accepted": len(report.findings) - len(report.unaccepted),
            "unaccepted": len(report.unaccepted),
        },
    }
