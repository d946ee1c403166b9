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
    current = {row.role: row for row in company.roles.all()}
    if wanted == set(current):
        return False
    # Row by row, at most nine: each write reaches the change log (catalog.history).
    for role, row in current.items():
        if role not in wanted:
            row.delete()
    for role in sorted(wanted - set(current)):
        CompanyRole(company=company, role=role).save()
    return True
