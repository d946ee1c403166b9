"""A name is the same name however it is typed: an editor cannot add a second brand or
company under a look-alike of an existing name, nor hide characters in one."""

import pytest

from catalog.models import ApiToken
from catalog.names import invisible_characters, name_key
from vehicles.models import Brand

CYRILLIC_A = "\u0410"
FULL_WIDTH_AITO = "\uff21\uff29\uff34\uff2f"


@pytest.mark.parametrize(
    "typed",
    ["aito", "AITO ", "  Aito", FULL_WIDTH_AITO, f"{CYRILLIC_A}ITO", "AI\u200bTO", "AI\u00adTO"],
)
def test_look_alike_spellings_are_the_same_name(typed):
    assert name_key(typed) == name_key("AITO")


def test_different_names_stay_different():
    assert name_key("Li Auto") != name_key("Li Autos")
    assert name_key("问界") != name_key("智界")


def test_invisible_characters_are_found():
    assert invisible_characters("AI\u200bTO\u202e") == ["U+200B", "U+202E"]
    assert invisible_characters("AITO 问界") == []


@pytest.fixture
def auth(db, django_user_model):
    user = django_user_model.objects.create_superuser("chief", "chief@example.org", "pw")
    _, raw = ApiToken.issue(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize("name", ["aito", FULL_WIDTH_AITO, f"{CYRILLIC_A}ITO"])
def test_a_second_brand_under_a_look_alike_name_is_refused(world, client, auth, name):
    before = Brand.objects.count()
    response = client.post(
        "/api/v1/brands/",
        {"name": name, "slug": "aito-again", "group": "seres"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "name": [
            "'AITO' (aito) already has this name, written differently (case, width, "
            "spacing or look-alike letters); use that entry."
        ]
    }
    assert Brand.objects.count() == before


def test_a_name_with_a_hidden_character_is_refused(world, client, auth):
    response = client.patch(
        "/api/v1/brands/luxeed/",
        {"name_zh": "智\u200b界"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "name_zh": ["Remove the invisible characters (U+200B): a name must read as it is stored."]
    }


def test_renaming_a_row_to_its_own_name_in_another_case_is_allowed(world, client, auth):
    response = client.patch(
        "/api/v1/brands/aito/",
        {"name": "Aito"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Aito"
