"""The one place that knows every app: the API router, schema, docs and admin."""

import re

from django.contrib import admin
from django.urls import URLResolver, include, path
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.functional import cached_property
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from catalog import docs
from catalog.datapackage import DataPackageView
from catalog.views import ChangeRecordViewSet, SourceViewSet
from insights import urls as insights_urls
from partners.urls import router as partners_router
from vehicles.urls import router as vehicles_router

# A path's first segment: what comes before its first "/" or ".".
SEGMENT = re.compile(r"[^/.]*")
# A pattern that can only match paths whose first segment is its group 1: a literal
# segment, then "/", ".", or the end (a regex, or a route with its converters).
REGEX_SEGMENT = re.compile(r"\^?([A-Za-z0-9_-]+)(?:/(?!\?)|/\?\$|\\\.|\$)")
ROUTE_SEGMENT = re.compile(r"([A-Za-z0-9_-]+)(?:[/.]|$)")


def first_segment(pattern):
    """The first path segment every path a pattern matches has, or None if it can vary."""
    if isinstance(pattern, RegexPattern):
        found = REGEX_SEGMENT.match(str(pattern))  # the regex as written
    elif isinstance(pattern, RoutePattern):
        found = ROUTE_SEGMENT.match(str(pattern))  # the route as written
    else:
        found = None
    return found[1] if found else None


class SegmentResolver(URLResolver):
    r"""Django's include(), with its patterns looked up by a path's first segment.

    Django tries a path against each pattern in turn: under /api/v1/ that was some fifty
    patterns and includes before `brands/<slug>/`, about 70 us of every API request.
    Here the patterns are split by the first segment they can match ("brands" for
    `^brands/...` and `^brands\.json`); a path is resolved by Django against those of its
    segment and those whose segment can vary, in their order, so it resolves to what it
    did. Reversing is Django's, over every pattern."""

    @cached_property
    def by_segment(self):
        found = [(pattern, first_segment(pattern.pattern)) for pattern in self.url_patterns]
        return {
            segment: URLResolver(
                self.pattern,
                [pattern for pattern, its in found if its in (segment, None)],
                self.default_kwargs,
                self.app_name,
                self.namespace,
            )
            for segment in {its for _pattern, its in found}
        }

    def resolve(self, path):
        path = str(path)
        match = self.pattern.match(path)
        if not match:
            return super().resolve(path)  # Django's 404, with what it tried
        segment = SEGMENT.match(match[0])[0]
        resolver = self.by_segment.get(segment) or self.by_segment.get(None)
        if resolver is None:
            return super().resolve(path)
        return resolver.resolve(path)


class CatalogRouter(DefaultRouter):
    """/api/v1/ lists every resource, and the insight endpoints."""

    insights = ["deliveries", "dependencies", "exposure", "graph", "audit"]

    def get_api_root_view(self, api_urls=None):
        root = {
            prefix: self.routes[0].name.format(basename=basename)
            for prefix, _, basename in self.registry
        }
        root.update({f"insights/{name}": f"insights-{name}" for name in self.insights})
        return self.APIRootView.as_view(api_root_dict=root)


router = CatalogRouter(trailing_slash="/?")
router.register("sources", SourceViewSet, basename="source")
router.register("changes", ChangeRecordViewSet, basename="changerecord")
for app_router in (partners_router, vehicles_router):
    router.registry.extend(app_router.registry)

SCHEMA_JSON = "/api/schema/?format=json"

urlpatterns = [
    SegmentResolver(
        RoutePattern("api/v1/"),
        [
            path("insights/", include(insights_urls.urlpatterns)),
            *insights_urls.brand_urlpatterns,
            path("datapackage.zip", DataPackageView.as_view(), name="datapackage"),
            *router.urls,
        ],
    ),
    # The committed document, read once per process, with an ETag (catalog.docs).
    path("api/schema/", docs.schema, name="schema"),
    # Swagger UI's start-up script is a file of its own and ReDoc starts from its element,
    # so no inline script is needed (the Content-Security-Policy allows none). Both load
    # the document as JSON, which browsers parse faster than YAML.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url=SCHEMA_JSON),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url=SCHEMA_JSON, template_name="catalog/redoc.html"),
        name="redoc",
    ),
    path("api/redoc/redoc.standalone.js", docs.redoc_bundle, name="redoc-bundle"),
    path("admin/", admin.site.urls),
    # Django's set_language view (POST language=en|zh-hans): the admin's language switch.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("explorer.urls")),
]

handler400 = "catalog.exceptions.json_bad_request"
handler403 = "catalog.exceptions.json_permission_denied"
handler404 = "catalog.exceptions.json_not_found"
handler500 = "catalog.exceptions.json_server_error"
