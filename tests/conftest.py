"""Shared test data: a small, hand-built slice of the ecosystem whose answers are known."""

import contextlib
import datetime
import functools
import importlib
import threading
import time
from types import SimpleNamespace

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.db.models.signals import post_migrate

from catalog import pagination
from catalog.docs import read_yaml
from catalog.models import ApiToken, Source
from partners.models import (
    Alliance,
    Chip,
    Company,
    DriverAssistStack,
    OperatingSystem,
    Shareholding,
)
from partners.services import set_company_roles
from tests.browser import chromium, visit  # noqa: F401
from tests.seeding import seed_dump, seeded, seeded_catalog  # noqa: F401
from vehicles.models import (
    AllianceMembership,
    Brand,
    Delivery,
    DeliveryTotal,
    Partnership,
    VehicleModel,
    VehicleModelChip,
)

STAFF_GROUPS = importlib.import_module("catalog.migrations.0005_staff_groups")


def staff_groups_as_migrated(sender, using, **kwargs):
    """A live-server test empties the database after it (TransactionTestCase's flush),
    the staff groups its migration made included; Django then makes content types and
    permissions again (post_migrate), and this the groups, so every later test in the
    process finds the database as migrated."""
    if sender.name != "catalog":
        return
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    STAFF_GROUPS.set_groups(Group, Permission)


post_migrate.connect(staff_groups_as_migrated, dispatch_uid="tests.staff_groups_as_migrated")


def pytest_collection_modifyitems(items):
    """The longest tests first, so parallel workers finish together: Schemathesis runs
    (most parameters first; a list's coverage phase tries each parameter's edge values),
    then browser and client tests, then the rest in their usual order."""

    def weight(item):
        if item.get_closest_marker("fuzz"):
            operation = item.name.partition("[")[2].removesuffix("]")
            return (0, -fuzz_parameter_count(operation))
        if item.get_closest_marker("browser") or item.get_closest_marker("clients"):
            return (1, 0)
        return (2, 0)

    items.sort(key=weight)


def fuzz_parameter_count(label):
    """How many parameters the committed document gives an operation ("GET /path/")."""
    method, _, path = label.partition(" ")
    operation = committed_document()["paths"].get(path, {}).get(method.lower(), {})
    return len(operation.get("parameters", []))


@functools.cache
def committed_document():
    """The committed OpenAPI document, parsed once per test process."""
    return read_yaml((settings.BASE_DIR / "openapi.yaml").read_bytes())


@pytest.fixture(autouse=True)
def table_sizes_read_afresh():
    """Each test reads the tables' sizes anew (catalog.pagination keeps them a minute in
    each process, on PostgreSQL), so its query counts depend neither on the tests before
    it nor on the clock."""
    pagination._table_rows.clear()


def company(slug, name, country, *roles, **fields):
    obj = Company.objects.create(slug=slug, name=name, country=country, **fields)
    set_company_roles(company=obj, roles=roles)
    return obj


@pytest.fixture
def world(db):
    """Huawei's alliance with two brands, a Geely brand on foreign chips, and figures."""
    src = Source.objects.create(
        slug="test-source",
        title="HIMA deliveries",
        publisher="Example Press",
        url="https://example.org/hima",
        published_on=datetime.date(2025, 12, 1),
        reliability="press",
    )
    huawei = company(
        "huawei", "Huawei", "CN", "os_vendor", "adas_supplier", "chip_designer", name_zh="华为"
    )
    seres = company("seres", "Seres Group", "CN", "automaker", name_zh="赛力斯")
    chery = company("chery", "Chery", "CN", "automaker", name_zh="奇瑞", state_owned=True)
    geely = company("geely-holding", "Geely Holding", "CN", "automaker", name_zh="吉利")
    nvidia = company("nvidia", "Nvidia", "US", "chip_designer")
    qualcomm = company("qualcomm", "Qualcomm", "US", "chip_designer", "module_maker")
    tsmc = company("tsmc", "TSMC", "TW", "foundry")
    mobile = company("china-mobile", "China Mobile", "CN", "telecom_operator", name_zh="中国移动")
    meizu = company("meizu", "Meizu", "CN", "os_vendor", parent=geely)
    yinwang = company("yinwang", "Yinwang", "CN", "adas_supplier", parent=huawei, name_zh="引望")
    holding = Shareholding.objects.create(
        slug="seres-yinwang",
        holder=seres,
        company=yinwang,
        share_percent=10,
        acquired_on=datetime.date(2024, 8, 26),
    )

    harmony = OperatingSystem.objects.create(
        slug="harmonyos-cockpit",
        name="HarmonyOS Cockpit",
        name_zh="鸿蒙座舱",
        vendor=huawei,
        base="openharmony",
        first_release=2021,
    )
    flyme = OperatingSystem.objects.create(
        slug="flyme-auto", name="Flyme Auto", vendor=meizu, base="android", first_release=2023
    )
    kirin = Chip.objects.create(
        slug="kirin-990a",
        name="Kirin 990A",
        designer=huawei,
        category="cockpit_soc",
        ai_tops="3.5",
    )
    orin = Chip.objects.create(
        slug="orin-x",
        name="Drive Orin-X",
        designer=nvidia,
        foundry=tsmc,
        category="adas_soc",
        process_nm=7,
        ai_tops=254,
        released=2022,
    )
    sa8295 = Chip.objects.create(
        slug="sa8295p",
        name="SA8295P",
        designer=qualcomm,
        category="cockpit_soc",
        process_nm=5,
        ai_tops=30,
    )
    ads = DriverAssistStack.objects.create(
        slug="huawei-ads-4",
        name="Qiankun ADS 4",
        vendor=huawei,
        version="4",
        level="L2+",
        urban_noa=True,
        highway_noa=True,
        sensor_approach="lidar_fusion",
        released=2025,
    )
    nop = DriverAssistStack.objects.create(
        slug="nvidia-pilot",
        name="Orin Pilot",
        vendor=nvidia,
        level="L2",
        urban_noa=False,
        sensor_approach="vision_only",
    )
    nop.compute_chips.add(orin)

    hima = Alliance.objects.create(
        slug="hima",
        name="Harmony Intelligent Mobility Alliance",
        name_zh="鸿蒙智行",
        leader=huawei,
        kind="alliance",
        # The test alliance's life starts with its first membership: none may start before.
        founded_on=datetime.date(2021, 12, 1),
    )
    aito = Brand.objects.create(
        slug="aito", name="AITO", name_zh="问界", group=seres, launched=2021
    )
    luxeed = Brand.objects.create(
        slug="luxeed", name="Luxeed", name_zh="智界", group=chery, launched=2023
    )
    lynk = Brand.objects.create(
        slug="lynk-co", name="Lynk & Co", name_zh="领克", group=geely, launched=2016
    )
    m5 = VehicleModel.objects.create(
        slug="aito-m5",
        brand=aito,
        name="M5",
        body_type="suv",
        powertrain="erev",
        launched_on=datetime.date(2022, 3, 1),
        price_min_cny=229800,
        price_max_cny=299800,
        cockpit_os=harmony,
        adas_stack=ads,
    )
    VehicleModelChip.objects.create(vehicle_model=m5, chip=kirin, role="cockpit")
    s7 = VehicleModel.objects.create(
        slug="luxeed-s7",
        brand=luxeed,
        name="S7",
        body_type="sedan",
        powertrain="bev",
        launched_on=datetime.date(2023, 11, 28),
        price_min_cny=249800,
        price_max_cny=349800,
        cockpit_os=harmony,
        adas_stack=ads,
    )
    lynk08 = VehicleModel.objects.create(
        slug="lynk-co-08",
        brand=lynk,
        name="08",
        body_type="suv",
        powertrain="phev",
        launched_on=datetime.date(2023, 9, 1),
        price_min_cny=208800,
        price_max_cny=265800,
        cockpit_os=flyme,
        adas_stack=nop,
    )
    VehicleModelChip.objects.create(vehicle_model=lynk08, chip=orin, role="adas", quantity=2)
    VehicleModelChip.objects.create(vehicle_model=lynk08, chip=sa8295, role="cockpit", quantity=1)

    aito_hima = AllianceMembership.objects.create(
        slug="hima-aito", alliance=hima, brand=aito, joined_on=datetime.date(2021, 12, 1)
    )
    luxeed_hima = AllianceMembership.objects.create(
        slug="hima-luxeed", alliance=hima, brand=luxeed, joined_on=datetime.date(2023, 11, 1)
    )
    telecom = Partnership.objects.create(
        slug="geely-china-mobile",
        carmaker=geely,
        partner=mobile,
        kind="telecom",
        scope="5G and satellites",
        announced_on=datetime.date(2020, 10, 27),
        started_on=datetime.date(2020, 10, 27),
    )
    aito_huawei = Partnership.objects.create(
        slug="aito-huawei-ads",
        brand=aito,
        partner=huawei,
        kind="adas",
        started_on=datetime.date(2021, 12, 1),
    )
    ended = Partnership.objects.create(
        slug="lynk-co-nvidia",
        brand=lynk,
        partner=nvidia,
        kind="chip",
        started_on=datetime.date(2021, 1, 1),
        ended_on=datetime.date(2024, 12, 31),
    )
    deliveries = {
        (None, "2025-10"): 68216,
        (None, "2025-11"): 81864,
        ("aito", "2025-11"): 51677,
        (None, "2025-12"): 89611,
    }
    brands = {"aito": aito}
    for (brand_slug, month), units in deliveries.items():
        brand = brands.get(brand_slug)
        month_date = datetime.date.fromisoformat(f"{month}-01")
        Delivery.objects.create(
            slug=Delivery.make_slug({"alliance": hima, "brand": brand, "month": month_date}),
            alliance=hima,
            brand=brand,
            month=month_date,
            units=units,
        )
    total = DeliveryTotal.objects.create(
        slug="hima-2024-h1",
        alliance=hima,
        first_month=datetime.date(2024, 1, 1),
        last_month=datetime.date(2024, 6, 1),
        units=194207,
    )
    token, _ = ApiToken.issue(
        user=User.objects.create_user(username="importer", password="pw-for-tests"),
        name="nightly import",
    )
    for obj in (
        huawei,
        hima,
        aito,
        m5,
        telecom,
        aito_hima,
        Delivery.objects.get(slug="hima-2025-11"),
    ):
        obj.sources.add(src)
    return SimpleNamespace(**{k: v for k, v in locals().items() if not k.startswith("_")})


def user_with(*codenames, username="editor"):
    """A staff user holding exactly the named permissions (e.g. 'vehicles.add_brand')."""
    user = User.objects.create_user(username=username, password="pw-for-tests", is_staff=True)
    for codename in codenames:
        app_label, name = codename.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=name)
        )
    return User.objects.get(pk=user.pk)  # fresh instance: no stale permission cache


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@contextlib.contextmanager
def deleted_meanwhile(obj):
    """Another client deletes `obj`'s row and its to-many links, and commits a second
    after the block has begun: inside it, the deletion is made but not yet committed, as
    when two people work at once (PostgreSQL)."""
    model = type(obj)
    statements = [
        (
            f"DELETE FROM {field.remote_field.through._meta.db_table} "  # noqa: S608
            f"WHERE {field.m2m_column_name()} = %s"
        )
        for field in model._meta.many_to_many
    ]
    statements.append(f"DELETE FROM {model._meta.db_table} WHERE {model._meta.pk.column} = %s")  # noqa: S608
    deleting = threading.Event()

    def delete_and_commit_later():
        with another_connection() as other:
            for statement in statements:
                other.execute(statement, [obj.pk])
            deleting.set()
            time.sleep(1)
            other.commit()

    deleter = threading.Thread(target=delete_and_commit_later)
    deleter.start()
    try:
        assert deleting.wait(10)
        yield
    finally:
        deleter.join()


def another_connection(autocommit=False):
    """A psycopg connection of its own to the test database (PostgreSQL): another client,
    as a second worker or person would be."""
    database = connection.settings_dict
    return psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname=database["NAME"],
        autocommit=autocommit,
    )
