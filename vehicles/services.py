"""Writes on vehicles that touch more than one row, shared by the API and the loader."""

from django.db import transaction

from vehicles.models import VehicleModelChip


@transaction.atomic
def set_vehicle_model_chips(*, vehicle_model, fittings):
    """Make the model's chips exactly `fittings` ([{chip, role, quantity}]); True if changed.

    Fittings already present keep their row (and their cited sources).
    """
    wanted = {(item["chip"].pk, item["role"]): item.get("quantity") for item in fittings}
    current = {(f.chip_id, f.role): f for f in vehicle_model.chip_fittings.all()}
    changed = False
    for key, fitting in current.items():
        if key not in wanted:
            fitting.delete()
            changed = True
        elif fitting.quantity != wanted[key]:
            fitting.quantity = wanted[key]
            fitting.full_clean()
            fitting.save(update_fields=["quantity", "updated"])
            changed = True
    for (chip_id, role), quantity in wanted.items():
        if (chip_id, role) not in current:
            fitting = VehicleModelChip(
                vehicle_model=vehicle_model, chip_id=chip_id, role=role, quantity=quantity
            )
            fitting.full_clean()
            fitting.save()
            changed = True
    return changed
