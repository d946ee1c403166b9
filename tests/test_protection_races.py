"""A source deleted at the very moment someone cites it: either the delete is refused or
the citation is, never the citation dropped unseen with the source (PostgreSQL, with a
second client making the citation). The links a delete removes are the ones it read;
one made since holds the source, and the foreign key refuses the delete as it commits
(the API's 409, the admin's "Nothing was saved")."""

import threading
from unittest import mock

import psycopg
import pytest
from django.db import IntegrityError

from catalog import protection
from catalog.models import Source
from tests.conftest import another_connection
from vehicles.models import Brand


@pytest.mark.django_db(transaction=True)
def test_a_citation_made_while_its_source_is_deleted_is_not_dropped_unseen(world, on_postgres):
    source = Source.objects.create(
        slug="cited-late",
        title="Cited late",
        publisher="Example Press",
        url="https://example.org/l",
    )
    links = Brand.sources.through._meta.db_table
    counted = protection.referrers
    citing = {}

    def cite(brand_id, source_id):
        try:
            with another_connection() as other:
                other.execute(
                    f"INSERT INTO {links} (brand_id, source_id) VALUES (%s, %s)",  # noqa: S608
                    [brand_id, source_id],
                )
                other.commit()
            citing["committed"] = True
        except psycopg.errors.ForeignKeyViolation:
            citing["committed"] = False

    def count_then_cite(objs, **kwargs):
        # The links are counted (none), then someone cites the source before the delete
        # goes on: given a second to commit.
        found = counted(objs, **kwargs)
        citing["thread"] = threading.Thread(target=cite, args=[world.aito.pk, source.pk])
        citing["thread"].start()
        citing["thread"].join(1)
        return found

    with mock.patch.object(protection, "referrers", count_then_cite):
        try:
            source.delete()
            deleted = True
        except IntegrityError:
            deleted = False
    citing["thread"].join(10)
    cited = Brand.sources.through.objects.filter(source_id=source.pk).exists()
    assert (deleted, citing["committed"], cited) in {(True, False, False), (False, True, True)}
    assert Source.objects.filter(pk=source.pk).exists() is not deleted
