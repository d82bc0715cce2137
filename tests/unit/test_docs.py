"""The repository stands alone: its documents link only to files inside it, and they agree
with the code where a test can tell."""

import re
from pathlib import Path

from despatch.domain.inventory import RESERVATION_TTL

ROOT = Path(__file__).parents[2]
DOCUMENTS = [ROOT / "README.md", ROOT / "CONTEXT.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_leads_to_a_file_in_the_repository():
    broken = []
    for document in DOCUMENTS:
        for target in LINK.findall(document.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (document.parent / target.split("#", 1)[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                broken.append(f"{document.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_readme_links_the_architecture_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    built = readme.split("## How it is built", 1)[1]
    assert "(docs/architecture.md)" in built
    assert "../" not in readme


def test_the_rules_state_the_reservation_lifetime_the_code_uses():
    minutes = int(RESERVATION_TTL.total_seconds() // 60)
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert f"expires after {minutes} minutes if allocation never ran" in rules
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert f"expires after {minutes} minutes" in architecture


def test_the_exceptions_table_names_every_kind_with_its_queue_and_owner():
    from despatch.domain.exceptions import DEFAULT_POLICIES, Kind

    text = (ROOT / "docs" / "exceptions.md").read_text(encoding="utf-8")
    rows = {
        cells[0].strip("|` "): cells
        for line in text.splitlines()
        if line.startswith("| `") and len(cells := line.split(" | ")) >= 7
    }
    for kind in Kind:
        policy = DEFAULT_POLICIES[kind]
        assert kind.value in rows, f"docs/exceptions.md has no row for {kind.value}"
        assert rows[kind.value][2:4] == [policy.queue, policy.owner], kind.value


def test_no_page_says_an_oversold_order_is_held():
    """An oversold order is backordered with no hold (channels.md): no page says otherwise."""
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = " ".join(page.read_text(encoding="utf-8").split())
        assert "held `oversold`" not in text, page.name
