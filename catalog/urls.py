"""The one place that knows every app: the API router, schema, docs and admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from catalog import docs
from catalog.datapackage import DataPackageView
from catalog.views import ChangeRecordViewSet, SourceViewSet
from insights import urls as insights_urls
from partners.urls import router as partners_router
from vehicles.urls import router as vehicles_router


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

    def get_urls(self):
        """The router's patterns grouped under their resource's prefix ("brands/" and
        "brands."): a path is tried against two prefixes per resource, then that
        resource's own patterns, instead of against every resource's patterns in turn.
        Names, paths and reversing are DRF's (a path that matches a prefix but none of
        its patterns goes on to the next)."""
        # DRF's patterns start "^brands/" or "^brands\." (a format suffix).
        groups = {
            f"^{prefix}{after}": [] for prefix, _, _ in self.registry for after in ("/", r"\.")
        }
        ungrouped = []
        for url in super().get_urls():
            regex = url.pattern.regex.pattern
            start = next((start for start in groups if regex.startswith(start)), None)
            if start is None:
                ungrouped.append(url)
            else:
                rest = "^" + regex.removeprefix(start)
                groups[start].append(re_path(rest, url.callback, url.default_args, url.name))
        return ungrouped + [
            re_path(start, include(patterns)) for start, patterns in groups.items() if patterns
        ]


router = CatalogRouter(trailing_slash="/?")
router.register("sources", SourceViewSet, basename="source")
router.register("changes", ChangeRecordViewSet, basename="changerecord")
for app_router in (partners_router, vehicles_router):
    router.registry.extend(app_router.registry)

SCHEMA_JSON = "/api/schema/?format=json"

urlpatterns = [
    path("api/v1/insights/", include("insights.urls")),
    path("api/v1/", include(insights_urls.brand_urlpatterns)),
    path("api/v1/datapackage.zip", DataPackageView.as_view(), name="datapackage"),
    path("api/v1/", include(router.urls)),
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
