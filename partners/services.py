"""Writes on partners that touch more than one row, shared by the admin, the API and the loader."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from partners.models import CompanyRole, Role


@transaction.atomic
def set_company_roles(*, company, roles):
    """Make `company` play exactly `roles` (values of CompanyRole.Role); True if that changed.

    A value that is not a role raises ValidationError under `roles`, naming those accepted."""
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise ValidationError(
            {
                "roles": gettext("Unknown roles: %(unknown)s. Accepted: %(accepted)s.")
                % {"unknown": ", ".join(sorted(unknown)), "accepted": ", ".join(Role.values)}
            }
        )
    current = set(company.roles.values_list("role", flat=True))
    if wanted == current:
        return False
    company.roles.exclude(role__in=wanted).delete()
    CompanyRole.objects.bulk_create(
        [CompanyRole(company=company, role=role) for role in sorted(wanted - current)]
    )
    return True
