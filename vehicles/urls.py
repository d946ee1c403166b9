from rest_framework.routers import SimpleRouter

from vehicles import views

router = SimpleRouter()
router.register("brands", views.BrandViewSet, basename="brand")
router.register("vehicle-models", views.VehicleModelViewSet, basename="vehiclemodel")
router.register("partnerships", views.PartnershipViewSet, basename="partnership")
router.register(
    "alliance-memberships", views.AllianceMembershipViewSet, basename="alliancemembership"
)
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("delivery-totals", views.DeliveryTotalViewSet, basename="deliverytotal")
router.register("delivery-gaps", views.DeliveryGapViewSet, basename="deliverygap")
