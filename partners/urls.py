from rest_framework.routers import SimpleRouter

from partners import views

router = SimpleRouter()
router.register("companies", views.CompanyViewSet, basename="company")
router.register("shareholdings", views.ShareholdingViewSet, basename="shareholding")
router.register("operating-systems", views.OperatingSystemViewSet, basename="operatingsystem")
router.register("chips", views.ChipViewSet, basename="chip")
router.register(
    "driver-assist-stacks", views.DriverAssistStackViewSet, basename="driverassiststack"
)
router.register("alliances", views.AllianceViewSet, basename="alliance")
