"""The consistency audit as /insights/audit/ answers it (the checks are insights.audit's)."""

from django.urls import NoReverseMatch, reverse

from insights.audit import report_as_data, run_audit


def audit_answer(*, rules=(), accepted=None, request):
    """The findings of the rules named (default all), only the accepted ones or only the
    others when `accepted` is True or False, each record with its API address."""
    data = report_as_data(run_audit(rules=rules or None))
    if accepted is not None:
        data["findings"] = [f for f in data["findings"] if f["accepted"] == accepted]
    for finding in data["findings"]:
        for record in finding["records"]:
            record["url"] = record_url(record, request)
    return data


def record_url(record, request):
    """The API address of an audited record, or None for a kind the API does not serve."""
    try:
        path = reverse(f"{record['kind']}-detail", kwargs={"slug": record["slug"]})
    except NoReverseMatch:
        return None
    return request.build_absolute_uri(path)
