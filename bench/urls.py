"""The API, plus hello-world views and the values()+orjson baselines under /bench/."""

from django.urls import path

from bench import baselines
from catalog.urls import urlpatterns as api_urlpatterns

urlpatterns = [
    path("bench/hello/bare/", baselines.BareHelloView.as_view()),
    path("bench/hello/project/", baselines.ProjectHelloView.as_view()),
    path("bench/values/<str:prefix>/", baselines.values_list_view),
    path("bench/values/<str:prefix>/<str:slug>/", baselines.values_detail_view),
    path("bench/sql/deliveries/", baselines.sql_delivery_series_view),
    *api_urlpatterns,
]
