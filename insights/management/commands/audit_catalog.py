"""Run the consistency audit and list what breaks a rule the database cannot enforce.

    manage.py audit_catalog                  every rule; exits 1 if a finding is not accepted
    manage.py audit_catalog --rule uncited_sources --rule stale_ongoing
    manage.py audit_catalog --json           the same answer as /api/v1/insights/audit/
    manage.py audit_catalog --show-accepted  list the accepted findings too

Accepted findings (fixtures/audit/accepted.yaml, each with its reason) do not fail the
run; an acceptance that no longer matches a finding is reported, so it can be removed.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from insights.audit import RULES, AcceptanceError, report_as_data, run_audit


class Command(BaseCommand):
    help = "Check the catalog against the rules the database cannot enforce."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rule",
            action="append",
            choices=[rule.name for rule in RULES],
            help="Only this rule (repeatable); default every rule.",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the report as JSON."
        )
        parser.add_argument(
            "--show-accepted", action="store_true", help="List accepted findings too."
        )

    def handle(self, *args, rule=None, as_json=False, show_accepted=False, **options):
        try:
            report = run_audit(rules=rule)
        except AcceptanceError as error:
            raise CommandError(str(error)) from None
        if as_json:
            self.stdout.write(json.dumps(report_as_data(report), ensure_ascii=False, indent=2))
        else:
            self.write_text(report, show_accepted)
        if report.unaccepted:
            raise CommandError(
                f"{len(report.unaccepted)} finding(s) not accepted "
                "(fix the data, or accept them with a reason in fixtures/audit/accepted.yaml)."
            )

    def write_text(self, report, show_accepted):
        for finding in report.findings:
            if finding.accepted and not show_accepted:
                continue
            mark = "accepted" if finding.accepted else "FINDING"
            records = ", ".join(str(record) for record in finding.records)
            self.stdout.write(f"{mark} [{finding.rule}] {records}: {finding.message}")
            if finding.accepted:
                self.stdout.write(f"    reason: {finding.reason}")
        for entry in report.unused_acceptances:
            self.stdout.write(f"unused acceptance (matches no finding): {entry}")
        counts = {rule.name: 0 for rule in report.rules}
        for finding in report.unaccepted:
            counts[finding.rule] += 1
        self.stdout.write(
            f"{len(report.rules)} rules, {len(report.findings)} findings, "
            f"{len(report.findings) - len(report.unaccepted)} accepted, "
            f"{len(report.unaccepted)} not accepted"
            + (
                " (" + ", ".join(f"{name} {n}" for name, n in counts.items() if n) + ")"
                if report.unaccepted
                else ""
            )
            + "."
        )
