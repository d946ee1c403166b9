"""An operator backs the catalog up to one JSON file and restores it into an empty
database: the same rows, the same links, the same API answers, the same bytes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.management.commands._backup import EXCLUDED, catalog_shapes, clear_catalog
from catalog.models import ApiToken, ChangeRecord
from catalog.urls import router
from tests.conftest import user_with
from vehicles.models import Brand, Delivery, VehicleModel

BASE_DIR = Path(__file__).resolve().parent.parent
# Every resource whose rows a backup holds (not the change log, which is history).
RESOURCES = sorted(
    prefix
    for prefix, viewset, _ in router.registry
    if viewset.queryset.model._meta.label_lower not in EXCLUDED
)


def backup(path):
    call_command("backup_catalog", str(path))
    return path.read_bytes()


def restore(path, *args):
    call_command("restore_catalog", str(path), *args)


def catalog_tables():
    """Every table a catalog backup covers, link tables included (not history, not tokens)."""
    for shape in catalog_shapes():
        for model in (shape.model, *(part.model for _, _, part in shape.parts)):
            yield model
            for field in model._meta.many_to_many:
                if field.remote_field.through._meta.auto_created:
                    yield field.remote_field.through


def row_counts():
    return {model._meta.label: model._base_manager.count() for model in catalog_tables()}


def empty_the_catalog():
    clear_catalog(catalog_shapes())
    assert set(row_counts().values()) == {0}


def api_answers(client):
    """What a researcher reads: every resource's list, and one brand's detail."""
    answers = {
        resource: client.get(f"/api/v1/{resource}/", {"limit": 1000}).json()
        for resource in RESOURCES
    }
    answers["brands/aito"] = client.get("/api/v1/brands/aito/").json()
    return answers


def test_backup_then_restore_into_an_empty_database_gives_the_same_bytes_and_answers(
    world, client, tmp_path
):
    before = api_answers(client)
    counts = row_counts()
    first = backup(tmp_path / "first.json")

    empty_the_catalog()
    restore(tmp_path / "first.json")

    assert row_counts() == counts
    assert backup(tmp_path / "second.json") == first
    # Timestamps are restored too, so the answers match to the microsecond.
    assert api_answers(client) == before
    assert before["brands"]["count"] == 3


def test_the_backup_links_rows_by_slug_and_nests_rows_without_one(world, tmp_path):
    document = json.loads(backup(tmp_path / "catalog.json"))
    rows = {(row["model"], row["fields"]["slug"]): row["fields"] for row in document["rows"]}

    assert (document["format"], document["version"]) == ("smart-vehicle-catalog-backup", 1)
    assert rows["vehicles.brand", "aito"]["group"] == "seres"
    assert rows["partners.company", "meizu"]["parent"] == "geely-holding"
    assert rows["partners.company", "qualcomm"]["roles"] == [
        {"role": "chip_designer"},
        {"role": "module_maker"},
    ]
    assert rows["partners.driverassiststack", "nvidia-pilot"]["compute_chips"] == ["orin-x"]
    fittings = rows["vehicles.vehiclemodel", "lynk-co-08"]["chip_fittings"]
    assert [(f["chip"], f["role"], f["quantity"]) for f in fittings] == [
        ("orin-x", "adas", 2),
        ("sa8295p", "cockpit", 1),
    ]
    assert rows["vehicles.delivery", "hima-2025-11"]["sources"] == ["test-source"]
    assert "id" not in rows["vehicles.brand", "aito"]
    # What a row links to comes before it, so a restore never meets an unknown slug.
    order = list(dict.fromkeys(row["model"] for row in document["rows"]))
    assert order.index("catalog.source") < order.index("partners.company")
    assert order.index("partners.company") < order.index("vehicles.brand")
    assert order.index("vehicles.brand") < order.index("vehicles.vehiclemodel")


def test_credentials_and_history_are_not_part_of_a_backup(world, tmp_path):
    token, raw = ApiToken.issue(user=user_with(username="researcher"), name="laptop")
    text = backup(tmp_path / "catalog.json").decode()
    models = {row["model"] for row in json.loads(text)["rows"]}

    assert raw not in text
    assert token.digest not in text
    assert token.prefix not in text
    assert "catalog.apitoken" not in models
    assert not any("historical" in label for label in models)


def test_every_catalog_model_is_in_the_backup(db):
    """A model added later must be taught to the backup, not silently left out."""
    covered = {model._meta.label for model in catalog_tables() if not model._meta.auto_created}
    expected = {
        model._meta.label
        for app_label in ("catalog", "partners", "vehicles")
        for model in apps.get_app_config(app_label).get_models()
        if not model._meta.label.split(".")[1].startswith("Historical")
    }
    # Credentials and the change log are deliberately left out (see _backup.py).
    assert covered == expected - {"catalog.ApiToken", "catalog.ChangeRecord"}


def test_restore_refuses_a_database_that_already_holds_a_catalog(world, tmp_path):
    backup(tmp_path / "catalog.json")
    Brand.objects.filter(slug="aito").update(name="AITO (edited)")

    with pytest.raises(CommandError, match=r"already holds a catalog.*--force"):
        restore(tmp_path / "catalog.json")
    assert Brand.objects.get(slug="aito").name == "AITO (edited)"


def test_restore_with_force_replaces_the_catalog(world, tmp_path):
    backup(tmp_path / "catalog.json")
    Brand.objects.filter(slug="aito").update(name="AITO (edited)")
    Brand.objects.create(slug="onvo", name="Onvo", group=world.seres)

    restore(tmp_path / "catalog.json", "--force")

    assert Brand.objects.get(slug="aito").name == "AITO"
    assert not Brand.objects.filter(slug="onvo").exists()
    assert sorted(Brand.objects.values_list("slug", flat=True)) == ["aito", "luxeed", "lynk-co"]


def test_a_restore_that_fails_changes_nothing(world, tmp_path):
    document = json.loads(backup(tmp_path / "catalog.json"))
    # The last row links to an alliance the backup does not contain.
    broken = next(row for row in reversed(document["rows"]) if row["model"] == "vehicles.delivery")
    broken["fields"]["alliance"] = "no-such-alliance"
    (tmp_path / "broken.json").write_text(json.dumps(document))

    with pytest.raises(
        CommandError, match=r"alliance 'no-such-alliance' is not a partners\.alliance"
    ):
        restore(tmp_path / "broken.json", "--force")
    assert Delivery.objects.count() == 4  # --force deleted nothing: one transaction

    empty_the_catalog()
    with pytest.raises(CommandError, match="Nothing restored"):
        restore(tmp_path / "broken.json")
    assert set(row_counts().values()) == {0}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"rows": []}', "Not a catalog backup"),
        (
            '{"format": "smart-vehicle-catalog-backup", "version": 1, '
            '"rows": [{"model": "auth.user", "fields": {}}]}',
            "unknown model 'auth.user'",
        ),
        (
            '{"format": "smart-vehicle-catalog-backup", "version": 1, "rows": [{"model": '
            '"catalog.source", "fields": {"slug": "s", "title": "t", "publisher": "p", '
            '"url": "not a url", "colour": "red"}}]}',
            "unknown field\\(s\\) colour",
        ),
    ],
)
def test_a_file_that_is_not_a_good_backup_is_refused_with_the_reason(
    db, tmp_path, content, message
):
    (tmp_path / "bad.json").write_text(content)
    with pytest.raises(CommandError, match=message):
        restore(tmp_path / "bad.json")


def test_restored_rows_start_their_history_with_the_restore(world, tmp_path):
    backup(tmp_path / "catalog.json")
    empty_the_catalog()
    restore(tmp_path / "catalog.json")

    record = Brand.objects.get(slug="aito").history.get()
    assert (record.history_type, record.history_change_reason) == ("+", "Restored from backup")


def test_backup_to_stdout(world, capsys):
    call_command("backup_catalog", "-")
    assert json.loads(capsys.readouterr().out)["format"] == "smart-vehicle-catalog-backup"


def run_manage(*args, database_url):
    """manage.py in a fresh process, against another database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def restore_into_a_new_sqlite_file(backup_path, tmp_path):
    """migrate + restore_catalog + backup_catalog on a brand-new SQLite file."""
    database_url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    for args in (
        ["migrate", "--no-input"],
        ["restore_catalog", str(backup_path)],
        ["backup_catalog", str(tmp_path / "again.json")],
    ):
        result = run_manage(*args, database_url=database_url)
        assert result.returncode == 0, result.stderr
    return (tmp_path / "again.json").read_bytes()


def test_the_documented_commands_restore_into_a_freshly_migrated_database(world, tmp_path):
    """On the PostgreSQL run this also proves a PostgreSQL backup restores into SQLite."""
    first = backup(tmp_path / "catalog.json")
    assert restore_into_a_new_sqlite_file(tmp_path / "catalog.json", tmp_path) == first


@pytest.mark.postgres
def test_on_postgresql_restored_tables_take_new_rows(on_postgres, world, client, tmp_path):
    first = backup(tmp_path / "catalog.json")
    empty_the_catalog()
    restore(tmp_path / "catalog.json")
    assert backup(tmp_path / "second.json") == first

    # The identity sequences moved on with the restored rows: new rows get fresh ids.
    aito = Brand.objects.get(slug="aito")
    m9 = VehicleModel.objects.create(slug="aito-m9", brand=aito, name="M9", powertrain="erev")
    assert m9.pk > max(VehicleModel.objects.exclude(pk=m9.pk).values_list("pk", flat=True))
    _, raw = ApiToken.issue(user=user_with("vehicles.add_brand", username="editor"), name="t")
    response = client.post(
        "/api/v1/brands/",
        {"name": "Onvo", "group": "seres"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201, response.json()


def test_a_restore_is_in_the_change_log_as_the_restore_command(world, tmp_path):
    backup(tmp_path / "catalog.json")
    empty_the_catalog()
    ChangeRecord.objects.all().delete()

    restore(tmp_path / "catalog.json")

    records = ChangeRecord.objects.all()
    assert set(records.values_list("channel", "actor_name", "action")) == {
        ("restore", "restore", "created")
    }
    hima_figure = records.get(object_slug=world.obj.slug)
    assert {"alliance", "month", "units", "sources"} <= set(hima_figure.changed_fields)
