from django.urls import path

from insights import views
from insights.graph import GraphView

urlpatterns = [
    path("deliveries/", views.DeliverySeriesView.as_view(), name="insights-deliveries"),
    path("dependencies/", views.DependenciesView.as_view(), name="insights-dependencies"),
    path("exposure/", views.ExposureView.as_view(), name="insights-exposure"),
    path("graph/", GraphView.as_view(), name="insights-graph"),
    path("audit/", views.AuditView.as_view(), name="insights-audit"),
]
