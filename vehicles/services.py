"""Writes on vehicles that touch more than one row, shared by the API, imports and the loader."""

from django.core.exceptions import ValidationError
from django.db import transaction

from catalog.services import set_related
from vehicles.models import VehicleModelChip


@transaction.atomic
def set_vehicle_model_chips(*, vehicle_model, fittings, reason=None):
    """Make the model's chips exactly `fittings` ([{chip, role, quantity, sources}]); True
    if anything changed.

    Fittings already present keep their row. A fitting given with `sources` (Source rows)
    cites exactly those; one given without keeps the sources it cites. `reason` is the
    change log's reason for the fitting rows written (catalog.history: the loader's). A
    fitting the model refuses raises ValidationError under `chips`, naming the fitting.
    """
    wanted = {(item["chip"].pk, item["role"]): item for item in fittings}
    current = {(f.chip_id, f.role): f for f in vehicle_model.chip_fittings.all()}
    changed = False
    for key, fitting in current.items():
        fitting._change_reason = reason
        if key not in wanted:
            fitting.delete()
            changed = True
        elif fitting.quantity != wanted[key].get("quantity"):
            fitting.quantity = wanted[key].get("quantity")
            validate(fitting)
            fitting.save(update_fields=["quantity", "updated"])
            changed = True
    for key, item in wanted.items():
        fitting = current.get(key)
        created = fitting is None
        if created:
            fitting = VehicleModelChip(
                vehicle_model=vehicle_model,
                chip=item["chip"],
                role=item["role"],
                quantity=item.get("quantity"),
            )
            fitting._change_reason = reason
            validate(fitting)
            fitting.save()
            changed = True
        if item.get("sources"):
            changed |= set_related(fitting.sources, item["sources"], empty=created)
    return changed


def validate(fitting):
    try:
        fitting.full_clean()
    except ValidationError as error:
        raise ValidationError(
            {"chips": [f"{fitting.chip.slug} ({fitting.role}): {text}" for text in error.messages]}
        ) from None
