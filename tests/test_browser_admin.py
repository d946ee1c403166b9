"""Data-entry staff in a real browser: the admin's lists and forms on the seeded catalog."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from tests.browser import log_in
from vehicles.models import Brand, Delivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("model", [Brand, Delivery])
def test_an_editor_opens_a_list_and_a_form_without_a_console_error(seeded_catalog, visit, model):
    log_in(visit, User.objects.create_superuser("chief", password="pw-for-tests"))
    meta = model._meta
    obj = model.objects.order_by("slug").first()

    response = visit.open(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert response.status == 200
    rows = visit.page.locator("#result_list tbody tr")
    assert rows.count() == min(model.objects.count(), admin.site._registry[model].list_per_page)
    visit.screenshot(f"admin-{meta.model_name}-list")

    response = visit.open(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )
    assert response.status == 200
    # The form shows the row: its slug is an input, or (for figures, whose slugs the
    # system makes) shown read-only.
    assert obj.slug in visit.page.locator("#content").inner_text() or (
        visit.page.locator("input[name=slug]").input_value() == obj.slug
    )
    visit.screenshot(f"admin-{meta.model_name}-change")


def test_every_list_fits_a_1280_pixel_screen(seeded_catalog, visit):
    """Staff work on ordinary laptops: no admin list makes them scroll sideways."""
    log_in(visit, User.objects.create_superuser("chief", password="pw-for-tests"))
    too_wide = {}
    for model in admin.site._registry:
        meta = model._meta
        response = visit.open(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert response.status == 200, meta.label
        width = visit.page.evaluate("document.documentElement.scrollWidth")
        if width > 1280:
            too_wide[meta.label] = width
    assert too_wide == {}
