"""The insight endpoints under /api/v1/insights/, and a brand's stack beside its brand."""

from django.urls import path, re_path
from rest_framework.urlpatterns import format_suffix_patterns

from catalog.models import SLUG_CHARS
from insights import views

urlpatterns = [
    path("deliveries/", views.DeliverySeriesView.as_view(), name="insights-deliveries"),
    path("dependencies/", views.DependenciesView.as_view(), name="insights-dependencies"),
    path("exposure/", views.ExposureView.as_view(), name="insights-exposure"),
    path("graph/", views.GraphView.as_view(), name="insights-graph"),
    path("audit/", views.AuditView.as_view(), name="insights-audit"),
]

# Under /api/v1/, addressed like the brand's other routes (and, like them, with a format
# suffix: stack.json, stack.csv).
brand_urlpatterns = format_suffix_patterns(
    [
        re_path(
            rf"^brands/(?P<slug>{SLUG_CHARS})/stack/$",
            views.StackView.as_view(),
            name="brand-stack",
        )
    ]
)
