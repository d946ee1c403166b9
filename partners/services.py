"""Writes on partners that touch more than one row, shared by the admin, the API and the loader."""

from django.db import transaction

from partners.models import CompanyRole


@transaction.atomic
def set_company_roles(*, company, roles):
    """Make `company` play exactly `roles` (values of CompanyRole.Role); True if that changed."""
    wanted = set(roles)
    current = set(company.roles.values_list("role", flat=True))
    if wanted == current:
        return False
    company.roles.exclude(role__in=wanted).delete()
    CompanyRole.objects.bulk_create(
        [CompanyRole(company=company, role=role) for role in sorted(wanted - current)]
    )
    return True
