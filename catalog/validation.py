"""Model validation without the queries Python can do without.

Every catalog model (catalog.models.CheckedModel) validates through the first two rules,
whatever writes it (API, admin, loader, import); `RowsValidator.full_clean(row)` applies
all three to a whole file of rows at once (the spreadsheet import), exactly as
`row.full_clean()` would, in the same order and with the same messages:

- a relation whose row the instance holds as read from the database (by the writer's
  lookup) is not read again to see that it exists (clean_fields_reading_less);
- a check constraint is evaluated in Python, with SQL's NULL logic. Only a row it refuses
  (or a condition it cannot evaluate) is checked by the database, by the constraint's own
  validate(), so every refusal and its wording are the model's (validate_constraints);
- uniqueness (unique fields, unique constraints) is decided against the stored rows that
  could clash, read once for the file, and against the file's own earlier rows.

The model's clean() runs as it is; a rule there that reads other rows reads them through
relations the import prefetches (e.g. vehicles.models.Delivery.clean). The database's
constraints and triggers still stand behind all of this, inside the import's transaction.
"""

import datetime
import decimal
import operator

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models, router
from django.db.models import F, Q

LOOKUPS = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
DATE_PARTS = {"year", "month", "day"}


class Unsupported(Exception):
    """A condition this module cannot evaluate in Python; the database decides it."""


def evaluate(model, condition, values):
    """What the database makes of `condition` (a Q of a check or a unique constraint) for
    one row whose field values (by attname) are `values`: True, False, or None for SQL's
    unknown. Raises Unsupported for anything but plain lookups on the row's own fields."""
    if not isinstance(condition, Q):
        raise Unsupported(condition)
    answers = []
    for child in condition.children:
        if isinstance(child, Q):
            answers.append(evaluate(model, child, values))
        elif isinstance(child, tuple):
            answers.append(lookup(model, *child, values))
        else:
            raise Unsupported(child)
    if condition.connector == Q.AND:
        answer = False if False in answers else None if None in answers else True
    elif condition.connector == Q.OR:
        answer = True if True in answers else None if None in answers else False
    else:
        raise Unsupported(condition.connector)
    if condition.negated and answer is not None:
        answer = not answer
    return answer


def field_value(model, name, values):
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        raise Unsupported(name) from None
    if not getattr(field, "concrete", False) or field.many_to_many:
        raise Unsupported(name)
    return field, values[field.attname]


def lookup(model, path, right, values):
    name, *parts = path.split("__")
    name = model._meta.pk.name if name == "pk" else name
    field, left = field_value(model, name, values)
    kind = parts.pop() if parts and parts[-1] in (*LOOKUPS, "in", "isnull") else "exact"
    if kind == "exact" and right is None:
        kind, right = "isnull", True
    for part in parts:
        # A date's parts only: a date-time's depend on the database's time zone.
        if part not in DATE_PARTS or type(field) is not models.DateField:
            raise Unsupported(path)
        left = None if left is None else getattr(left, part)
    if kind == "isnull":
        return (left is None) is bool(right)
    if isinstance(right, F):
        right = field_value(model, right.name, values)[1]
    elif hasattr(right, "resolve_expression"):
        raise Unsupported(right)
    if kind == "in":
        if left is None:
            return None
        known = [item for item in right if item is not None]
        if not all(comparable(left, item) for item in known):
            raise Unsupported(path)
        return True if left in known else None if len(known) < len(right) else False
    if left is None or right is None:
        return None
    # Text is compared for equality only: its order is the database's collation.
    if not comparable(left, right) or (isinstance(left, str) and kind != "exact"):
        raise Unsupported(path)
    return LOOKUPS[kind](left, right)


def comparable(left, right):
    """Python compares these as SQL would: numbers with numbers, text with text, dates with
    dates (a datetime is not a date here)."""
    for kind in ((int, float, decimal.Decimal), (str,), (datetime.datetime,)):
        if isinstance(left, kind) and isinstance(right, kind):
            return True
    return (
        isinstance(left, datetime.date)
        and isinstance(right, datetime.date)
        and not isinstance(left, datetime.datetime)
        and not isinstance(right, datetime.datetime)
    )


def field_values(instance):
    """The row's values by attname, as evaluate() reads them."""
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def passes(model, condition, values):
    """Whether a check constraint lets the row in (an unknown answer does, as in SQL)."""
    return evaluate(model, condition, values) is not False


def read_already(instance, field):
    """Whether `instance` holds the related row of `field` as read from the database (by
    the import's lookups), so that its existence need not be read again."""
    if not field.many_to_one or field.get_limit_choices_to() or not field.is_cached(instance):
        return False
    related = field.get_cached_value(instance)
    return (
        related is not None
        and not related._state.adding
        and related.pk == getattr(instance, field.attname)
    )


class UniqueKeys:
    """Who holds each value of one unique rule (a unique field, unique_together, or a
    unique constraint), among the stored rows read for the file and the file's rows."""

    def __init__(self, model, fields, condition=None):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        self.condition = condition
        self.holders = {}

    def key(self, values):
        """The rule's value for a row; None when the rule does not apply to it (an empty
        column, or a condition the row does not meet)."""
        key = tuple(values[field.attname] for field in self.fields)
        if None in key:
            return None
        if self.condition is not None and not evaluate(self.model, self.condition, values):
            return None
        return key

    def clashes(self, values, holder):
        """Whether another row holds this row's value. A conditional rule applies when the
        row's condition is not false (as the constraint's validate() decides)."""
        key = tuple(values[field.attname] for field in self.fields)
        if None in key:
            return False
        if self.condition is not None and evaluate(self.model, self.condition, values) is False:
            return False
        return self.holders.get(key, holder) != holder

    def hold(self, values, holder, previous=None):
        if previous is not None:
            old = self.key(previous)
            if old is not None and self.holders.get(old) == holder:
                del self.holders[old]
        key = self.key(values)
        if key is not None:
            self.holders[key] = holder


class RowsValidator:
    """full_clean() for many rows of one model; see the module's docstring.

    `accept()` the stored rows that could clash with the file's (those with one of its
    slugs or one of its unique values: `unique_fields()` says which), then each row of
    the file that passed, so the rows after it are checked against it too."""

    def __init__(self, model):
        self.model = model
        self.using = router.db_for_write(model)
        self.unique_rules = []
        probe = model()
        self.constraints = probe.get_constraints()  # [(model class, its constraints)]
        self.keys = {}  # constraint name -> UniqueKeys, for those decided in memory
        unique_checks, date_checks = probe._get_unique_checks(include_meta_constraints=False)
        self.has_date_checks = bool(date_checks)
        for model_class, names in unique_checks:
            # The primary key is the database's to give: an import never sets it.
            if model_class is model and tuple(names) != (model._meta.pk.name,):
                self.unique_rules.append((names, UniqueKeys(model, names)))
        for model_class, constraints in self.constraints:
            for constraint in constraints:
                keys = self.keys_of(model_class, constraint)
                if keys is not None:
                    self.keys[constraint.name] = keys

    def keys_of(self, model_class, constraint):
        """The in-memory rule of a unique constraint, or None where the database decides
        (expressions, NULLs not distinct, a condition beyond plain lookups)."""
        if not isinstance(constraint, models.UniqueConstraint) or model_class is not self.model:
            return None
        if constraint.expressions or constraint.nulls_distinct is False or not constraint.fields:
            return None
        if constraint.condition is not None and not only_isnull(constraint.condition):
            return None
        if any(self.model._meta.get_field(name).generated for name in constraint.fields):
            return None
        return UniqueKeys(self.model, constraint.fields, constraint.condition)

    def unique_fields(self):
        """The field names of every unique rule kept in memory, to read the stored rows
        that could clash with a file."""
        return [[field.name for field in keys.fields] for keys in self.rules()]

    @staticmethod
    def holder(instance):
        """Who a row is, for uniqueness: a stored row by its key; a new one by its slug, so
        that a second row of the file about the same fact (which the import refuses for
        that reason) is not also said to clash with the first."""
        if not instance._state.adding:
            return ("stored", instance.pk)
        return ("new", getattr(instance, "slug", None) or id(instance))

    def accept(self, instance, previous=None):
        """Count `instance`'s unique values as taken (and, for a stored row the file
        changes, its `previous` values as free)."""
        values, holder = field_values(instance), self.holder(instance)
        for keys in self.rules():
            keys.hold(values, holder, previous)

    def takes_over(self, instances, previous):
        """Whether one of these stored rows, changed, takes a unique value that another of
        them held before (`previous`: values by pk), so that their order matters."""
        for keys in self.rules():
            before = {keys.key(previous[row.pk]) for row in instances} - {None}
            for instance in instances:
                taken = keys.key(field_values(instance))
                if taken in before and taken != keys.key(previous[instance.pk]):
                    return True
        return False

    def rules(self):
        return [keys for _, keys in self.unique_rules] + list(self.keys.values())

    def full_clean(self, instance, exclude=None):
        """Model.full_clean(), step for step."""
        errors = {}
        exclude = set(exclude or ())
        try:
            # The model's own, which reads no related row the import has read already.
            instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        try:
            instance.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        exclude |= {name for name in errors if name != NON_FIELD_ERRORS}
        try:
            self.validate_unique(instance, exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        exclude |= {name for name in errors if name != NON_FIELD_ERRORS}
        try:
            self.validate_constraints(instance, exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, instance, exclude):
        """Model.validate_unique() against the rows read for the file and the file's own."""
        values, holder = field_values(instance), self.holder(instance)
        errors = {}
        for names, keys in self.unique_rules:
            if any(name in exclude for name in names) or not keys.clashes(values, holder):
                continue
            key = names[0] if len(names) == 1 else NON_FIELD_ERRORS
            errors.setdefault(key, []).append(instance.unique_error_message(self.model, names))
        if self.has_date_checks:
            _, date_checks = instance._get_unique_checks(exclude=exclude)
            for key, messages in instance._perform_date_checks(date_checks).items():
                errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, instance, exclude):
        """Model.validate_constraints(), with unique constraints decided in memory."""

        def in_memory(model_class, constraint, values):
            keys = self.keys.get(constraint.name)
            if keys is not None:
                self.validate_unique_constraint(instance, constraint, keys, values, exclude)
            return keys is not None

        validate_constraints(instance, self.constraints, exclude, self.using, in_memory)

    def validate_unique_constraint(self, instance, constraint, keys, values, exclude):
        """UniqueConstraint.validate() with the holders in memory."""
        if any(name in exclude for name in constraint.fields):
            return
        if constraint.condition is not None and refers_to(self.model, constraint) & exclude:
            return
        if not keys.clashes(values, self.holder(instance)):
            return
        if constraint.condition is None and (
            constraint.violation_error_message == constraint.default_violation_error_message
        ):
            message = instance.unique_error_message(self.model, constraint.fields)
            raise ValidationError(message, code=message.code)
        raise ValidationError(
            constraint.get_violation_error_message(), code=constraint.violation_error_code
        )


def clean_fields_reading_less(instance, exclude, clean_fields):
    """Model.clean_fields() (`clean_fields`, the model's own) for every field but the
    relations whose row `instance` holds as read from the database: those are checked as
    ForeignKey.validate() checks them, less its query to see that the row exists (the
    database's foreign key still stands behind the write)."""
    exclude = set(exclude or ())
    read = {
        field
        for field in instance._meta.concrete_fields
        if field.name not in exclude and read_already(instance, field)
    }
    errors = {}
    try:
        clean_fields(exclude=exclude | {field.name for field in read})
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    for field in read:
        value = getattr(instance, field.attname)
        try:
            models.Field.validate(field, value, instance)
            field.run_validators(value)
        except ValidationError as error:
            errors[field.name] = error.error_list
    if errors:
        raise ValidationError(errors)


def validate_constraints(instance, constraints, exclude, using, in_memory=None):
    """Model.validate_constraints() over `constraints` (as Model.get_constraints() gives
    them: model class, its constraints), less the database's query for each check
    constraint Python shows the row meets. `in_memory(model_class, constraint, values)`
    may decide a constraint itself: it raises ValidationError on a refusal and returns
    whether it decided."""
    values = field_values(instance)
    errors = {}
    for model_class, model_constraints in constraints:
        for constraint in model_constraints:
            try:
                if in_memory is not None and in_memory(model_class, constraint, values):
                    continue
                if not surely_passes(model_class, constraint, values, exclude):
                    constraint.validate(model_class, instance, exclude=exclude, using=using)
            except ValidationError as error:
                if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                    errors.setdefault(constraint.fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def surely_passes(model, constraint, values, exclude):
    """A check constraint that Python shows the row meets (or that does not apply, as it
    refers to a field already in error); False where the database must decide."""
    if not isinstance(constraint, models.CheckConstraint):
        return False
    try:
        # As in CheckConstraint.validate(): a condition on an excluded field is not checked.
        if refers_to(model, constraint) & exclude:
            return True
        return passes(model, constraint.condition, values)
    except Unsupported:
        return False


_referenced = {}


def refers_to(model, constraint):
    """The field names a constraint's condition names (worked out once per constraint)."""
    key = (model, constraint.name)
    if key not in _referenced:
        _referenced[key] = referenced_names(constraint.condition)
    return _referenced[key]


def referenced_names(condition):
    """The field names a Q refers to."""
    if not isinstance(condition, Q):
        raise Unsupported(condition)
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= referenced_names(child)
        elif isinstance(child, tuple):
            path, right = child
            names.add(path.split("__")[0])
            if isinstance(right, F):
                names.add(right.name.split("__")[0])
        else:
            raise Unsupported(child)
    return names


def only_isnull(condition):
    """Whether a Q is made of `isnull` lookups only (which are never unknown)."""
    return all(
        only_isnull(child)
        if isinstance(child, Q)
        else isinstance(child, tuple) and child[0].endswith("__isnull")
        for child in condition.children
    ) and condition.connector in (Q.AND, Q.OR)
