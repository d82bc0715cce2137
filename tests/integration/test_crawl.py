"""Every same-site link of the logged-in app, followed to depth 2 from the home page on the
demo's business (small), answers 200: no page of the ops UI is a dead end or a server error."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from despatch.services import demo_floor, tokens
from tests.integration.demo_business import CRAWLER, demo_business  # noqa: F401 (a fixture)

# links that change something when followed (none should: changes are POSTs), or leave the app
SKIPPED = ("/logout/", "/static/")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def same_site_links(page_url: str, html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        url = urljoin(f"http://testserver{page_url}", href.split("#")[0])
        parts = urlsplit(url)
        if parts.netloc != "testserver" or parts.scheme != "http":
            continue
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        if not local.startswith(SKIPPED):
            found.append(local)
    return found


def shape(url: str) -> str:
    """A link with its IDs and query values taken out: /orders/ID/?status="""
    path, _, query = url.partition("?")
    return re.sub(r"/[a-z]{3}_[0-9A-Z]{26}", "/ID", path) + "?" + re.sub(r"=[^&]*", "=", query)


def crawl(client, depth: int = 2, per_shape: int = 0) -> tuple[set[str], list[str]]:
    """Follow every same-site link from the home page to ``depth`` (with ``per_shape``, only
    that many links of each shape, e.g. three orders); (seen, failures)."""
    seen, failures, shapes = {"/"}, [], {}
    frontier = ["/"]
    for level in range(depth + 1):  # the home page, its links, and theirs
        following = []
        for url in frontier:
            response = client.get(url)
            if response.streaming:  # a label file: read it through, which closes it
                b"".join(response.streaming_content)
            if response.status_code != 200:
                failures.append(f"{url} → {response.status_code}")
            elif level < depth and response["Content-Type"].startswith("text/html"):
                for link in same_site_links(url, response.content.decode()):
                    shapes[shape(link)] = shapes.get(shape(link), 0) + (link not in seen)
                    if per_shape and shapes[shape(link)] > per_shape:
                        continue
                    if link not in seen:
                        seen.add(link)
                        following.append(link)
        frontier = following
    return seen, failures


def test_every_link_to_depth_two_answers_200(demo_business, client):  # noqa: F811
    client.login(username=CRAWLER[0], password=CRAWLER[1])
    seen, failures = crawl(client)
    assert not failures, "\n".join(failures)
    assert len(seen) > 60, sorted(seen)  # the crawl reached the orders, not just the menu
    for page in ("/messages/", "/webhooks/", "/stock/", "/exceptions/", "/pick/", "/pack/"):
        assert page in seen
    assert f"/pick/{demo_business.pick_lists[0]}/" in seen  # the demo's wave
    assert "/manifests/" in seen


def test_each_role_meets_no_link_it_may_not_follow(demo_business, client):  # noqa: F811
    """The navigation shows a role only the pages it may open, and those pages link only to
    pages it may open (to depth 2, as the demo's user of each role, three links a shape)."""
    problems = []
    for role, password in demo_floor.ROLE_USERS:
        assert client.login(username=role, password=password)
        _, failures = crawl(client, per_shape=3)
        problems += [f"{role}: {failure}" for failure in failures]
        nav = re.findall(r"<nav>(.*?)</nav>", client.get("/").content.decode(), re.S)[0]
        shown = set(re.findall(r'href="([^"]+)"', nav))
        assert "/" in shown and "/api/docs" in shown
        assert ("/webhooks/" in shown) == (role == "ops_manager"), role
        client.logout()
    assert not problems, "\n".join(problems)


def test_a_stock_search_by_sku_or_name_answers(demo_business, client):  # noqa: F811
    client.login(username=CRAWLER[0], password=CRAWLER[1])
    by_code = client.get("/stock/", {"q": "SKU-0001"})
    assert by_code.status_code == 200
    assert b"SKU-0001" in by_code.content and b"SKU-0002" not in by_code.content
    by_name = client.get("/stock/", {"q": "navy mug"})
    assert by_name.status_code == 200
    assert b"SKU-0020" in by_name.content  # "Navy Mug 20"
    assert b"SKU-0001" not in by_name.content


@pytest.mark.parametrize("page", ["/messages/", "/webhooks/"])
@pytest.mark.parametrize("status", ["", "failed", "nonsense"])
def test_the_message_and_webhook_logs_answer_with_any_status_filter(db, client, page, status):
    tokens.ensure_user(*CRAWLER, roles=("ops_manager",), superuser=True)
    client.login(username=CRAWLER[0], password=CRAWLER[1])
    response = client.get(page, {"status": status})
    assert response.status_code == 200
    assert b'<option value="failed"' in response.content  # offered, in words
    assert b">failed</option>" not in response.content  # never the bare code
    if status == "failed":
        assert b'<option value="failed" selected>' in response.content
