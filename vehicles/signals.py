"""Database triggers for rules a CHECK constraint cannot express.

"No delivery in a future month" needs the clock, which neither SQLite nor PostgreSQL
allows in a CHECK constraint. A trigger enforces it instead, so the rule holds for the
ORM, raw SQL and imports alike. SQLite drops a table's triggers whenever Django rebuilds
the table in a migration, so the triggers are (re)installed after every migrate.
The trigger allows the month that has begun anywhere on Earth (UTC+14); model
validation applies the stricter rule in the catalog's own time zone.

"A month is either a figure or a known gap" spans two tables (Delivery and
DeliveryGap), which no CHECK or unique constraint can; a trigger on each refuses a row
whose (alliance, brand, month) the other table already holds.
"""

from django.db import connections
from django.db.models.signals import post_migrate
from django.dispatch import receiver

MONTH_TABLES = {
    "vehicles_delivery": "month",
    "vehicles_deliverytotal": "last_month",
    "vehicles_deliverygap": "month",
}
# A figure and a known gap for the same (alliance, brand, month) exclude each other.
EXCLUSIVE_TABLES = {
    "vehicles_delivery": "vehicles_deliverygap",
    "vehicles_deliverygap": "vehicles_delivery",
}

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS {table}_no_future_{event}
BEFORE {event} ON {table}
WHEN NEW.{column} > date('now', '+14 hours', 'start of month')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: {table}.{column} is in the future');
END;
"""

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION {table}_no_future() RETURNS trigger AS $$
BEGIN
    IF NEW.{column} > date_trunc('month', (now() AT TIME ZONE 'UTC') + interval '14 hours')::date THEN
        RAISE EXCEPTION 'new row for relation "{table}" violates check: {column} is in the future'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

POSTGRES_TRIGGER = """
CREATE OR REPLACE TRIGGER {table}_no_future
BEFORE INSERT OR UPDATE ON {table}
FOR EACH ROW EXECUTE FUNCTION {table}_no_future();
"""


SQLITE_EXCLUSIVE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS {table}_not_in_{other}_{event}
BEFORE {event} ON {table}
WHEN EXISTS (
    SELECT 1 FROM {other} WHERE {other}.month = NEW.month
    AND {other}.alliance_id IS NEW.alliance_id AND {other}.brand_id IS NEW.brand_id
)
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: {table} row has the key of a {other} row');
END;
"""

POSTGRES_EXCLUSIVE_FUNCTION = """
CREATE OR REPLACE FUNCTION {table}_not_in_{other}() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM {other} WHERE {other}.month = NEW.month
        AND {other}.alliance_id IS NOT DISTINCT FROM NEW.alliance_id
        AND {other}.brand_id IS NOT DISTINCT FROM NEW.brand_id
    ) THEN
        RAISE EXCEPTION 'new row for relation "{table}" violates check: the key of a {other} row'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

POSTGRES_EXCLUSIVE_TRIGGER = """
CREATE OR REPLACE TRIGGER {table}_not_in_{other}
BEFORE INSERT OR UPDATE ON {table}
FOR EACH ROW EXECUTE FUNCTION {table}_not_in_{other}();
"""


def install_exclusive_triggers(connection):
    """Refuse a delivery where a gap is recorded for its key, and the reverse."""
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table, other in EXCLUSIVE_TABLES.items():
            if table not in existing or other not in existing:
                continue
            if connection.vendor == "sqlite":
                for event in ("INSERT", "UPDATE"):
                    cursor.execute(
                        SQLITE_EXCLUSIVE_TRIGGER.format(table=table, other=other, event=event)
                    )
            elif connection.vendor == "postgresql":
                cursor.execute(POSTGRES_EXCLUSIVE_FUNCTION.format(table=table, other=other))
                cursor.execute(POSTGRES_EXCLUSIVE_TRIGGER.format(table=table, other=other))


def install_month_triggers(connection):
    """Create (or refresh) the future-month triggers on one database connection."""
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table, column in MONTH_TABLES.items():
            if table not in existing:
                continue
            if connection.vendor == "sqlite":
                for event in ("INSERT", "UPDATE"):
                    cursor.execute(SQLITE_TRIGGER.format(table=table, column=column, event=event))
            elif connection.vendor == "postgresql":
                cursor.execute(POSTGRES_FUNCTION.format(table=table, column=column))
                cursor.execute(POSTGRES_TRIGGER.format(table=table))


@receiver(post_migrate)
def install_triggers_after_migrate(sender, using, **kwargs):
    if sender.name == "vehicles":
        install_month_triggers(connections[using])
        install_exclusive_triggers(connections[using])
