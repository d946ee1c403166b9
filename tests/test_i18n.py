"""English or Simplified Chinese: staff switch the admin's language, and the API's
messages follow Accept-Language. Only the words change: codes, field names, data and
the OpenAPI document stay the same in both languages."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation
from django.utils.translation.template import templatize

from catalog.i18n import DERIVED_NAMES, derived_names, english, shown_models
from tests.browser import log_in
from tests.conftest import user_with

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}


@pytest.fixture(autouse=True)
def language_restored():
    """A request leaves its language active in the thread; the next test starts afresh."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def token_for(db):
    from catalog.models import ApiToken

    def make(*permissions):
        _, raw = ApiToken.issue(user=user_with(*permissions), name="tests")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


# --- the API -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-Hans", "zh-hans"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"),
        ("zh", "zh-hans"),
        ("fr-FR,fr;q=0.9", "en"),
    ],
)
def test_the_api_answers_in_the_language_asked_for(world, client, header, language):
    """zh-Hans, zh-CN and plain zh all mean Simplified Chinese; anything else is English.
    The answer says its language, and that it varies with Accept-Language (for caches)."""
    extra = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
    response = client.get("/api/v1/brands/aito/?colour=red", **extra)
    assert response.status_code == 400
    assert response["Content-Language"] == language
    assert "Accept-Language" in [part.strip() for part in response["Vary"].split(",")]


def test_an_unknown_query_parameter_is_refused_in_chinese_or_english(world, client):
    english_body = client.get("/api/v1/brands/aito/?colour=red").json()
    chinese_body = client.get("/api/v1/brands/aito/?colour=red", **CHINESE).json()
    assert english_body == {
        "status": 400,
        "code": "invalid",
        "detail": "Invalid input: colour.",
        "errors": {"colour": ["Unknown query parameter. Accepted: format."]},
    }
    assert chinese_body == {
        "status": 400,
        "code": "invalid",
        "detail": "输入无效：colour。",
        "errors": {"colour": ["未知的查询参数。可用参数：format。"]},
    }


def test_a_bad_month_is_refused_in_chinese(world, client):
    response = client.get(
        "/api/v1/deliveries/?month=2025-13", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"
    )
    assert response.json() == {
        "status": 400,
        "code": "invalid",
        "detail": "输入无效：month。",
        "errors": {
            "month": [
                "请按 YYYY-MM 格式输入月份（四位年份、两位月份），例如 2025-03；收到的是“2025-13”。"
            ]
        },
    }
    assert client.get("/api/v1/deliveries/?month=2025-13").json()["errors"] == {
        "month": [
            "Enter a month as YYYY-MM (four-digit year, two-digit month), e.g. 2025-03; "
            "got '2025-13'."
        ]
    }


def test_an_unknown_field_in_a_body_is_refused_in_chinese(world, client, token_for):
    auth = token_for("vehicles.add_brand")
    body = {"name": "Onvo", "group": "seres", "colour": "red"}
    response = client.post(
        "/api/v1/brands/", body, content_type="application/json", **auth, **CHINESE
    )
    writable = (
        "description, group, headquarters, launched, name, name_zh, positioning, slug, "
        "sources, website"
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "code": "invalid",
        "detail": "输入无效：colour。",
        "errors": {"colour": [f"未知字段。可写入的字段：{writable}。"]},
    }


def test_a_model_rule_is_explained_in_chinese(world, client, token_for):
    """The model's own validation (shared with the admin) speaks the client's language."""
    auth = token_for("vehicles.add_delivery")
    body = {"brand": "aito", "month": "2099-12", "units": 1}
    response = client.post(
        "/api/v1/deliveries/", body, content_type="application/json", **auth, **CHINESE
    )
    assert response.json() == {
        "status": 400,
        "code": "invalid",
        "detail": "输入无效：month。",
        "errors": {"month": ["交付月份不能是未来的月份。"]},
    }


@pytest.mark.parametrize(
    ("method", "path", "permissions", "status", "code", "english_detail", "chinese_detail"),
    [
        (
            "post",
            "/api/v1/brands/",
            None,
            401,
            "not_authenticated",
            "Authentication credentials were not provided.",
            "身份认证信息未提供。",
        ),
        (
            "post",
            "/api/v1/brands/",
            ("vehicles.view_brand",),
            403,
            "permission_denied",
            "You do not have permission to perform this action.",
            "您没有执行该操作的权限。",
        ),
        ("get", "/api/v1/brands/no-such-brand/", None, 404, "not_found", "Not found.", "未找到。"),
        (
            "get",
            "/api/v1/no-such-resource/",
            None,
            404,
            "not_found",
            "No such resource.",
            "没有这个资源。",
        ),
    ],
)
def test_authentication_permission_and_not_found_come_in_chinese_too(
    world,
    client,
    token_for,
    method,
    path,
    permissions,
    status,
    code,
    english_detail,
    chinese_detail,
):
    """DRF's and Django's own messages come from their own translations."""
    auth = token_for(*permissions) if permissions else {}
    send = getattr(client, method)
    kwargs = {"content_type": "application/json", **auth} if method == "post" else auth
    body = {"name": "Onvo", "group": "seres"} if method == "post" else None
    english_answer = send(path, body, **kwargs) if body else send(path, **kwargs)
    chinese_answer = (
        send(path, body, **kwargs, **CHINESE) if body else send(path, **kwargs, **CHINESE)
    )
    assert english_answer.json() == {
        "status": status,
        "code": code,
        "detail": english_detail,
        "errors": {},
    }
    assert chinese_answer.json() == {
        "status": status,
        "code": code,
        "detail": chinese_detail,
        "errors": {},
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/brands/?launched=twenty&launched__gte=2030&launched__lte=2020", None),
        ("get", "/api/v1/deliveries/?month=2025-1&ordering=colour&limit=0", None),
        ("get", "/api/v1/vehicle-models/?brand=no-such-brand&active_on=", None),
        ("get", "/api/v1/brands/?format=pdf", None),
        ("post", "/api/v1/brands/", {"name": 7, "group": "nobody", "launched": "2021"}),
        ("post", "/api/v1/deliveries/", {"alliance": "hima", "month": "2025-11", "units": -1}),
        ("post", "/api/v1/brands/", [{"name": "A", "group": "seres"}, "not an object"]),
    ],
)
def test_codes_and_field_names_stay_the_same_in_both_languages(
    world, client, token_for, method, path, body
):
    """Clients key on `code` and on the names in `errors`: only the words change."""
    auth = token_for("vehicles.add_brand", "vehicles.add_delivery")
    if method == "get":
        english_body = client.get(path).json()
        chinese_body = client.get(path, **CHINESE).json()
    else:
        kwargs = {"content_type": "application/json", **auth}
        english_body = client.post(path, body, **kwargs).json()
        chinese_body = client.post(path, body, **kwargs, **CHINESE).json()
    assert english_body["status"] == chinese_body["status"] == 400
    assert english_body["code"] == chinese_body["code"]
    assert english_body.keys() == chinese_body.keys()
    assert english_body["errors"].keys() == chinese_body["errors"].keys()
    for name, messages in english_body["errors"].items():
        assert len(chinese_body["errors"][name]) == len(messages)
        assert chinese_body["errors"][name] != messages
    assert english_body["detail"] != chinese_body["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/brands/",
        "/api/v1/partnerships/",
        "/api/v1/vehicle-models/?format=csv",
        "/api/v1/companies/huawei/",
        "/api/v1/changes/",
        "/api/v1/insights/deliveries/",
    ],
)
def test_the_data_is_the_same_in_both_languages(world, client, path):
    """A row's name, its values and the file name of an export do not change with the
    language: a researcher reading in Chinese gets the same catalog."""
    english_answer = client.get(path)
    chinese_answer = client.get(path, **CHINESE)
    assert english_answer.status_code == chinese_answer.status_code == 200
    assert chinese_answer.content == english_answer.content
    assert chinese_answer.get("Content-Disposition") == english_answer.get("Content-Disposition")


def test_an_export_keeps_its_english_file_name(world, client):
    response = client.get("/api/v1/vehicle-models/export/?format=csv", **CHINESE)
    assert response["Content-Disposition"] == 'attachment; filename="vehicle-models.csv"'


# --- the admin ---------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def switch_to(client, language, next_url):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_staff_switch_the_admin_to_chinese_and_the_choice_is_remembered(world, staff_client):
    changelist = reverse("admin:vehicles_brand_changelist")
    english_page = staff_client.get(changelist).content.decode()
    assert "<h1>Select brand to change</h1>" in english_page
    # The switch in the header offers the other language.
    assert '<form id="language-form" method="post" action="/i18n/setlang/">' in english_page
    assert 'value="zh-hans" lang="zh-hans">简体中文</button>' in english_page

    response = switch_to(staff_client, "zh-hans", changelist)
    assert response.status_code == 302
    assert response["Location"] == changelist
    assert staff_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"

    # Remembered: the next pages come in Chinese without asking again.
    chinese_page = staff_client.get(changelist).content.decode()
    assert "<h1>选择 品牌 来修改</h1>" in chinese_page
    assert ">中文名称</a></div>" in chinese_page
    assert ">集团</a></div>" in chinese_page
    assert ">创立年份</a></div>" in chinese_page
    assert 'value="en" lang="en">English</button>' in chinese_page

    switch_to(staff_client, "en", changelist)
    assert "<h1>Select brand to change</h1>" in staff_client.get(changelist).content.decode()


def test_the_brand_form_in_chinese_shows_the_translated_names_help_and_choices(world, staff_client):
    switch_to(staff_client, "zh-hans", "/admin/")
    page = staff_client.get(
        reverse("admin:vehicles_brand_change", args=[world.aito.pk])
    ).content.decode()
    for label in ("名称", "中文名称", "描述", "集团", "创立年份", "总部", "定位", "网站", "来源"):
        assert f">{label}:</label>" in page, label
    assert "拥有该品牌的汽车集团。" in page
    assert "品牌创立的年份。" in page
    assert '<option value="premium">高端</option>' in page
    assert '<option value="mass_market">大众市场</option>' in page
    # The data is shown as stored.
    assert 'value="AITO"' in page
    assert 'value="问界"' in page


def test_a_refused_admin_form_explains_in_chinese(world, staff_client):
    switch_to(staff_client, "zh-hans", "/admin/")
    response = staff_client.post(
        reverse("admin:vehicles_delivery_add"),
        {"brand": world.aito.pk, "month": "2099-12", "units": "1", "precision": "exact"},
    )
    assert response.status_code == 200
    assert "交付月份不能是未来的月份。" in response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_switch_with_one_click_in_a_real_browser(visit):
    """The switch is a plain form (the Content-Security-Policy allows no inline script)."""
    log_in(visit, User.objects.create_superuser("chief", password="pw-for-tests"))
    visit.open(reverse("admin:index"))
    visit.page.get_by_role("button", name="简体中文").click()
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.url == visit.origin + reverse("admin:index")
    assert visit.page.locator("html").get_attribute("lang") == "zh-hans"
    assert visit.page.locator("#site-name").inner_text() == "智能汽车生态目录"
    assert visit.page.locator("#content h1").inner_text() == "数据录入"
    visit.screenshot("admin-index-zh-hans")

    visit.page.get_by_role("button", name="English").click()
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.locator("#site-name").inner_text() == "Smart-vehicle ecosystem catalog"
    visit.assert_clean()


# --- the OpenAPI document ----------------------------------------------------------------


def test_the_openapi_document_is_written_in_english_whatever_language_is_active(tmp_path):
    """In a fresh process whose first act is to speak Chinese (as a first request in
    Chinese would), the code is loaded and the document generated: it is the committed
    English one."""
    output = tmp_path / "openapi.yaml"
    script = (
        "import django; django.setup();"
        "from django.utils import translation; translation.activate('zh-hans');"
        "import catalog.urls;"
        "from django.core.management import call_command;"
        f"call_command('spectacular', '--file', {str(output)!r})"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)  # noqa: S603 (our own interpreter and script)
    assert output.read_text() == (ROOT / "openapi.yaml").read_text()


# --- the translations themselves ---------------------------------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")
GETTEXT_FUNCTIONS = {
    "_": (0,),
    "gettext": (0,),
    "gettext_lazy": (0,),
    "ngettext": (0, 1),
    "ngettext_lazy": (0, 1),
    "pgettext": (1,),
    "pgettext_lazy": (1,),
}
SOURCE_DIRS = ("catalog", "partners", "vehicles", "insights", "explorer")
# What templatize() (makemessages' own reading of a template) turns {% translate %} and
# {% blocktranslate %} into: gettext(u'...'), ngettext(u'...', u'...', count), ...
LITERAL = r"u'(?:[^'\\]|\\.)*'"
TEMPLATE_CALL = re.compile(rf"\b(n?p?gettext)\(((?:{LITERAL}(?:, )?)+)")


def marked_strings():
    """Every string the project's Python code passes to a gettext function, and every
    string its templates mark for translation."""
    found = set()
    for path in ROOT.glob("*/templates/**/*.html"):
        code = templatize(path.read_text(), origin=str(path))
        for function, arguments in TEMPLATE_CALL.findall(code):
            literals = [ast.literal_eval(text) for text in re.findall(LITERAL, arguments)]
            found.update(literals[1:] if "p" in function else literals)  # [0]: a context
    for directory in SOURCE_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                    continue
                for index in GETTEXT_FUNCTIONS.get(node.func.id, ()):
                    if index < len(node.args) and isinstance(node.args[index], ast.Constant):
                        found.add(node.args[index].value)
    return found


def test_every_string_marked_for_translation_is_translated():
    po = polib.pofile(str(PO))
    translated = {entry.msgid for entry in po.translated_entries()}
    translated |= {entry.msgid_plural for entry in po.translated_entries() if entry.msgid_plural}
    assert sorted(marked_strings() - translated) == []
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []


def test_every_translation_keeps_the_placeholders_of_its_text():
    for entry in polib.pofile(str(PO)):
        expected = set(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert set(PLACEHOLDER.findall(text)) == expected, entry.msgid


def test_the_committed_mo_file_is_the_compiled_po_file():
    """The server reads the .mo; `make compile-messages` writes it from the .po."""
    assert MO.read_bytes() == polib.pofile(str(PO)).to_binary()


def test_every_name_django_derives_is_in_the_table_of_translated_names():
    """A new model or field without a declared verbose_name needs its entry in
    catalog.i18n.DERIVED_NAMES, or staff reading Chinese would see it in English."""
    missing = {
        english(name)
        for label in ("catalog", "partners", "vehicles")
        for model in shown_models(apps.get_app_config(label))
        for name in derived_names(model).values()
        if english(name) not in DERIVED_NAMES
    }
    assert missing == set()
