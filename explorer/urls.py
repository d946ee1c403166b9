"""The explorer's pages, at the site's root: one per kind of catalog row, and the views
across the catalog (dependencies, graph)."""

from django.urls import path

from explorer import views

app_name = "explorer"

urlpatterns = [
    path("", views.home, name="home"),
    path("brands/<slug:slug>/", views.brand, name="brands"),
    path("brands/<slug:slug>/stack/", views.brand_stack, name="brand-stack"),
    path("companies/<slug:slug>/", views.company, name="companies"),
    path("alliances/<slug:slug>/", views.alliance, name="alliances"),
    path("vehicle-models/<slug:slug>/", views.vehicle_model, name="vehicle-models"),
    path("chips/<slug:slug>/", views.chip, name="chips"),
    path(
        "driver-assist-stacks/<slug:slug>/", views.driver_assist_stack, name="driver-assist-stacks"
    ),
    path("operating-systems/<slug:slug>/", views.operating_system, name="operating-systems"),
    path("dependencies/", views.dependencies, name="dependencies"),
    path("graph/", views.graph, name="graph"),
]
