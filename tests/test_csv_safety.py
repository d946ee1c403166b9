"""A researcher opens any CSV in a spreadsheet: no cell runs as a formula, whatever it
holds (a name, a related object's slug, a joined list), and numbers stay numbers."""

import csv
import io

import pytest

from catalog.renderers import flatten
from vehicles.models import Brand


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ({"slug": "-evil", "name": "x", "url": None}, "'-evil"),
        ([{"slug": "=a"}, {"slug": "b"}], "'=a;b"),
        (["=x", "y"], "'=x;y"),
        ({"first": "@x", "second": "y"}, "'@x:y"),
        ("plain", "plain"),
        (None, ""),
        (True, "true"),
        (-5, -5),
        (7.5, 7.5),
    ],
)
def test_every_cell_is_safe_in_a_spreadsheet(value, cell):
    assert flatten(value) == cell


def test_a_related_slug_that_looks_like_a_formula_is_neutralised_in_a_list(world, client):
    Brand.objects.filter(slug="aito").update(slug="-aito")
    response = client.get("/api/v1/vehicle-models/?format=csv&brand=-aito")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows
    assert {row["brand"] for row in rows} == {"'-aito"}
