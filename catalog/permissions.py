"""Reading is open; writing needs an authenticated user holding the model permission."""

from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions


class ReadOnlyOrModelPermissions(DjangoModelPermissions):
    """GET/HEAD/OPTIONS for anyone; POST/PUT/PATCH/DELETE need add/change/delete_<model>.

    These are the same permissions the admin checks, so staff can do through the API
    exactly what they can do in the admin.
    """

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            # A method the view does not have is answered 405 by the view itself.
            return True
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            # A read-only view with no model: let the method check answer 405.
            return True
        return super().has_permission(request, view)
