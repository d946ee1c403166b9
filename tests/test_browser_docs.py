"""A partner developer opens the API documentation in a real browser: both pages render
the whole document and ask nothing of any host but this service (tests/browser.py
records every request and refuses those to other hosts).

The bound is loose on purpose: on a 2-core machine running other suites at the same time
(load average 13 to 17) Swagger UI took 7 to 28 s and ReDoc 13 to 26 s, nearly all of it
the browser laying out 107 operations; the server's part (page, bundle, the document
from memory) is a few hundred milliseconds of that."""

import time
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RENDER_SECONDS = 60

PAGES = {
    # The page, and what shows once the document is rendered.
    "/api/docs/": ".swagger-ui .opblock-tag-section .opblock",
    "/api/redoc/": "[data-section-id^='tag/brands'] h2, [data-section-id^='operation/'] h2",
}


@pytest.mark.parametrize(("path", "rendered"), PAGES.items())
def test_the_docs_render_fast_and_ask_only_this_service(visit, path, rendered):
    visit.open(path)  # a first visit fills the server's per-process caches
    visit.requests.clear()
    started = time.perf_counter()
    visit.page.goto(visit.origin + path)
    visit.page.wait_for_selector(rendered, state="attached", timeout=90_000)
    elapsed = time.perf_counter() - started
    print(f"{path} rendered in {elapsed:.2f} s")
    assert elapsed < RENDER_SECONDS, f"{path} took {elapsed:.2f} s to render"
    visit.page.wait_for_load_state("networkidle")
    own = urlsplit(visit.origin).netloc
    hosts = {urlsplit(url).netloc for url in visit.requests if url.startswith("http")}
    assert hosts == {own}
    assert any(url.endswith("/api/schema/?format=json") for url in visit.requests)
    assert visit.foreign_requests == []
