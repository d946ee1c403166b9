"""Every API view negotiates its format the same way (one DEFAULT_CONTENT_NEGOTIATION_CLASS)."""

import pytest


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("/api/v1/", "json, api, csv"),
        ("/api/v1/brands/", "json, api, csv"),
        ("/api/v1/datapackage.zip", "zip"),
        ("/api/v1/insights/graph/", "json, api, graphml"),
    ],
)
@pytest.mark.parametrize("asked", ["xml", ""])
def test_a_client_asking_for_an_unknown_format_is_told_which_formats_there_are(
    db, client, url, accepted, asked
):
    response = client.get(f"{url}?format={asked}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"] == {
        "format": [f"Unknown format '{asked}'. Accepted: {accepted}."]
    }


@pytest.mark.parametrize(
    ("url", "accept", "accepted"),
    [
        ("/api/v1/brands/", "application/xml", "application/json, text/html, text/csv"),
        ("/api/v1/brands/export/", "application/json", "text/csv, application/jsonl"),
        ("/api/v1/datapackage.zip", "application/json", "application/zip"),
    ],
)
def test_a_client_accepting_no_type_written_here_is_told_which_are(
    db, client, url, accept, accepted
):
    response = client.get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 406
    assert response.json()["detail"] == (
        f"None of the media types in the Accept header is written here. Accepted: {accepted}."
    )
