"""Writes every app shares: the API's serializers, the seed loader and the services call them."""


def holds_exactly(manager, objects):
    """Whether a to-many relation (`manager`, e.g. `brand.sources`) holds `objects`, no more."""
    return {obj.pk for obj in manager.all()} == {obj.pk for obj in objects}


def set_related(manager, objects, *, empty=False):
    """Make a to-many relation hold exactly `objects`; True if that changed it. A relation
    that already holds them is not written; one known to be `empty` (of a row created
    just now) is not read first."""
    if empty:
        if objects:
            manager.add(*objects)
        return bool(objects)
    if holds_exactly(manager, objects):
        return False
    manager.set(objects)
    return True
