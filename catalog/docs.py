"""The OpenAPI document and the documentation pages, served fast and from this host only.

`/api/schema/` answers the committed openapi.yaml, the contract (tests/test_schema.py
keeps it equal to what the code generates), read once per process: generating it takes
over a second per request. It carries an ETag, so a client that has it gets a 304.
`?format=json` gives the same document as JSON, which the docs pages load (a browser
parses it several times faster than YAML).

ReDoc's bundle shows its vendor's logo from the vendor's CDN in the sidebar, with no
option to turn it off; `redoc_bundle` serves the same bundle with that image's address
left empty, so the image is never fetched and ReDoc hides it.
"""

import functools
import hashlib
import json
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from catalog.exceptions import json_error

SCHEMA_FILE = settings.BASE_DIR / "openapi.yaml"
REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_VENDOR_LOGO = b'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"'
FORMATS = {
    "yaml": "application/vnd.oai.openapi; charset=utf-8",
    "json": "application/vnd.oai.openapi+json; charset=utf-8",
}


def read_yaml(text):
    """YAML as Python data, with libyaml's parser where PyYAML was built with it: the
    1.2 MB document parses in a third of a second instead of two."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)


def etag_of(content):
    return f'"{hashlib.sha256(content).hexdigest()[:40]}"'


@functools.cache
def committed_schema():
    """{format: (body, ETag)} for the committed document, built once per process."""
    text = SCHEMA_FILE.read_bytes()
    as_json = json.dumps(read_yaml(text), ensure_ascii=False, separators=(",", ":"))
    bodies = {"yaml": text, "json": as_json.encode()}
    return {name: (body, etag_of(body)) for name, body in bodies.items()}


@require_safe
def schema(request):
    """The OpenAPI document: YAML, or JSON with `?format=json`; 304 to a matching ETag
    (Django's ConditionalGetMiddleware compares it with If-None-Match)."""
    # The docs pages pass on their own `lang` and `version`; the document has one of each.
    unknown = sorted(set(request.GET) - {"format", "lang", "version"})
    name = request.GET.get("format", "yaml")
    if unknown or name not in FORMATS:
        return json_error(
            400, "invalid", "Accepted: format=yaml (the default) or format=json, nothing else."
        )
    body, etag = committed_schema()[name]
    response = HttpResponse(body, content_type=FORMATS[name])
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@functools.cache
def redoc_bundle_content():
    """ReDoc's standalone bundle without the vendor logo's remote address, and its ETag."""
    content = Path(finders.find(REDOC_BUNDLE)).read_bytes()
    if REDOC_VENDOR_LOGO not in content:
        raise RuntimeError(f"{REDOC_BUNDLE} changed: check what it loads from other hosts.")
    content = content.replace(REDOC_VENDOR_LOGO, b'src:""')
    return content, etag_of(content)


@require_safe
def redoc_bundle(request):
    """redoc.standalone.js as the sidecar package ships it, but asking no other host."""
    content, etag = redoc_bundle_content()
    response = HttpResponse(content, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=86400"
    return response
