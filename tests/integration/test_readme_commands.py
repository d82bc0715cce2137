"""Every `despatch …` command the README's "Running it for real" section names runs once, as
written there, with its placeholders filled from the demo's business: each ends with exit code
0 or a clear error (exit 1 with a message), never a traceback and never a usage error (a usage
error means the README is wrong)."""

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import typer.main
from django.utils import timezone
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import ExceptionCase, Order, OrderLine, Refund, ReturnRequest, Shipment
from despatch.services import packing
from despatch.services.demo_floor import RATE_CARD
from tests.integration.demo_business import CRAWLER, demo_business  # noqa: F401 (a fixture)

ROOT = Path(__file__).parents[2]
TOP_LEVEL = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
EXAMPLES = ROOT / "docs" / "examples"

SKUS_CSV = "sku,name,gtin,length_mm,width_mm,height_mm,weight_g\nNEW-1,New Thing,,120,80,40,250\n"
# run forever (they are run by the e2e tests as processes)
LONG_RUNNING = {"serve", "worker"}
# commands the README names bare (`orders list/cancel/release`): the arguments they need
BARE = {
    "orders cancel": "ID --reason customer_request",
    "orders release": "HELD_ID --note checked",
    "refunds request": "DESPATCHED_ID --amount 5.00 --by ops_manager",
    "refunds approve": "REFUND_ID --by ops_manager",
    "refunds reject": "REFUND_ID --by ops_manager",
    "refunds retry": "REFUND_ID --by ops_manager",
    "notifications resend": "msg_none --by support",
    "notifications preview": "confirmed --order ID",
    "outbox retry": "ID",
}
# the floor path must work from the shell, not merely fail clearly
MUST_SUCCEED = {
    "skus import",
    "warehouses add",
    "stock receive",
    "stock levels",
    "stock check",
    "packing pack",
    "shipping label",
    "shipping manifest",
    "orders show",
    "exceptions list",
    "audit verify",
    "kpis",
}


def readme_commands() -> list[str]:
    """Each command of the section's code block and tables, expanded: `a/b` verbs become one
    command each, `[…]` options are left out, `x\\|y` takes `x`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Running it for real", 1)[1].split("\n## ", 1)[0]
    found: list[str] = []
    for line in section.splitlines():
        if line.startswith("despatch "):
            found.append(line.split("#", 1)[0].strip())
        elif line.startswith("| `"):
            first_cell = re.split(r"(?<!\\) \| ", line[2:], maxsplit=1)[0]
            found += _spans(first_cell)
    commands: list[str] = []
    for span in found:
        commands += _expand(span, commands[-1] if commands else "")
    return commands


def _spans(cell: str) -> list[str]:
    """The commands of a table cell (not its URLs and API calls, `GET /api/…`)."""
    spans = re.findall(r"`([^`]+)`", cell)
    return [s for s in spans if not re.match(r"(/|(GET|POST|PUT|PATCH|DELETE) )", s)]


def _expand(span: str, previous: str) -> list[str]:
    span = span.removeprefix("despatch ").replace("\\|", "|")
    if span.startswith("--"):  # `--channel C --external-id X`: another form of the last one
        span = " ".join(previous.split()[:2]) + " " + span
    elif span.split()[0] not in TOP_LEVEL:  # `resolve ID...` after `exceptions assign …`
        span = previous.split()[0] + " " + span
    span = re.sub(r"\s*\[[^\]]*\]", "", span)
    words = shlex.split(span)
    words = [w.split("|")[0] if "|" in w and not w.startswith("|") else w for w in words]
    group, verbs, rest = words[0], words[1].split("/") if len(words) > 1 else [""], words[2:]
    if len(verbs) == 1:
        return [" ".join(shlex.quote(w) for w in [group, *verbs, *rest] if w)]
    out = []
    for n, verb in enumerate(verbs):
        args = rest if n == len(verbs) - 1 else []
        if f"{group} {verb}" in BARE and not args:
            args = shlex.split(BARE[f"{group} {verb}"])
        out.append(" ".join(shlex.quote(w) for w in [group, verb, *args]))
    return out


class Filler:
    """The seeded value for each placeholder: by (command, placeholder), then by (option
    before it, placeholder), then by the placeholder alone."""

    def __init__(self, home: Path):
        self.home = home
        self.packed: str = ""
        order = Order.objects.filter(channel="shopify-uk").order_by("id").first()
        self.order = order
        despatched = Shipment.objects.filter(status__in=("despatched", "delivered"))
        self.despatched_order = (
            despatched.filter(order__lines__line_no=1, order__lines__quantity__gte=2)
            .values_list("order_id", flat=True)
            .first()
        ) or despatched.values_list("order_id", flat=True).first()
        self.by_option: dict[tuple[str, str], Callable[[], str] | str] = {
            ("--sku", "S"): "SKU-0001",
            ("--webhook-secret", "S"): "a-long-webhook-secret",
            ("--service", "S"): "standard",
            ("--warehouse", "W"): self.warehouse_of_packed,
            ("--qty", "N"): "5",
            ("--counted", "N"): "500",
            ("--channel", "C"): "shopify-uk",
            ("--carrier", "C"): self.carrier_of_packed,
            ("--at", "T"): "2026-12-01T10:00",
            ("--postcode", "P"): "LS1 4DY",
            ("--external-id", "X"): order.external_id,
            ("--reason", "R"): "customer_request",
            # the README's example time is before the test's orders were received
            ("--as-of", "2026-05-01T12:00Z"): lambda: timezone.now().isoformat(),
        }
        self.by_command: dict[tuple[str, str], Callable[[], str] | str] = {
            ("warehouses add", "CODE"): "BRS",
            ("channels add", "CODE"): "shop2",
            ("channels map-sku", "CHANNEL_SKU"): "THEIR-0001",
            ("channels map-sku", "OUR_SKU"): "SKU-0001",
            ("channels map-service", "TEXT"): "Std",
            ("channels map-service", "SERVICE"): "standard",
            ("packing pack", "SHIPMENT_ID"): self.to_pack,
            ("packing pack", "N"): self.weight,
            ("shipping rate", "N"): "900",
            ("shipping label", "SHIPMENT_ID"): lambda: self.packed,
            ("shipping check-tracking", "NUMBER..."): self.tracking_number,
            ("shipping intercept", "SHIPMENT_ID"): self.despatched_shipment,
            ("shipping tell-channel", "SHIPMENT_ID"): self.despatched_shipment,
            ("exceptions assign", "ID..."): self.open_case,
            ("exceptions resolve", "ID..."): self.open_case,
            ("orders cancel", "ID"): self.allocated_order,
            ("webhooks replay", "ID"): "whd_none",
            ("outbox retry", "ID"): "999999",
            ("returns receive", "SKU:AD"): lambda: f"{self.returned_sku()}:AD",
            ("returns qc", "SKU"): self.returned_sku,
            ("shipping rates", "FILE"): self.file("new-rates.json", json.dumps(RATE_CARD)),
            ("orders import", "ORDER.json..."): str(
                ROOT / "tests/fixtures/channels/shopify_order_multicurrency.json"
            ),
        }
        self.alone: dict[str, Callable[[], str] | str] = {
            "W": "LON",
            "CODE": "shopify-uk",
            "ID": order.id,
            "ORDER_ID": lambda: self.despatched_order or order.id,
            "DESPATCHED_ID": lambda: self.despatched_order or order.id,
            "HELD_ID": self.held_order,
            "REFUND_ID": self.refund,
            "RMA": self.rma,
            "URL": "http://127.0.0.1:9/hooks/despatch",
            "FILE.csv": self.file("skus.csv", SKUS_CSV),
            "CAL.json": self.file("cal.json", json.dumps({"cutoffs": {"*": "15:00"}})),
            "RULES.yaml": str(EXAMPLES / "rules.yaml"),
            "L.json": str(EXAMPLES / "layout.json"),
            "P.json": str(EXAMPLES / "picks.json"),
            "C.csv": str(EXAMPLES / "cartons.csv"),
            "O.json": str(EXAMPLES / "orders.json"),
            "bins.csv": self.file("bins.csv", "sku,location\nSKU-0001,A01-B01-L\n"),
            "EVENTS.csv": self.events,
            "L.pdf": str(home / "return-label.pdf"),
        }

    def file(self, name: str, text: str) -> str:
        path = self.home / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def fill(self, command: str) -> list[str]:
        words = shlex.split(command)
        key = " ".join(words[:2])
        out = []
        for n, word in enumerate(words):
            option = words[n - 1] if n and words[n - 1].startswith("-") else ""
            value = self.by_command.get((key, word))
            if value is None:
                value = self.by_option.get((option, word), self.alone.get(word, word))
            if key == "orders import" and word == "FILE.csv":
                value = self.orders_csv()
            out.append(value() if callable(value) else value)
        return out

    # --- values read from the database as the commands change it ---------------------------
    def to_pack(self) -> str:
        shipment = Shipment.objects.filter(status="picking").order_by("id").first()
        self.packed = shipment.id
        return shipment.id

    def weight(self) -> str:
        return str(sum(item.weight_g for item in packing.shipment_items(self.packed)))

    def carrier_of_packed(self) -> str:
        return Shipment.objects.get(id=self.packed).carrier or "royalmail"

    def warehouse_of_packed(self) -> str:
        return Shipment.objects.get(id=self.packed).warehouse_id if self.packed else "LON"

    def despatched_shipment(self) -> str:
        return Shipment.objects.filter(status="despatched").values_list("id", flat=True)[0]

    def open_case(self) -> str:
        return ExceptionCase.objects.filter(status="open").values_list("id", flat=True)[0]

    def allocated_order(self) -> str:
        return Order.objects.filter(status="allocated").values_list("id", flat=True)[0]

    def held_order(self) -> str:
        return Order.objects.filter(status="on_hold").values_list("id", flat=True)[0]

    def refund(self) -> str:
        return Refund.objects.values_list("id", flat=True).first() or "ref_none"

    def rma(self) -> str:
        return (
            ReturnRequest.objects.order_by("-created_at").values_list("id", flat=True).first() or ""
        )

    def returned_sku(self) -> str:
        line = OrderLine.objects.filter(order_id=self.despatched_order, line_no=1).first()
        return line.sku if line else "SKU-0001"

    def tracking_number(self) -> str:
        return Shipment.objects.get(id=self.packed).tracking_number

    def events(self) -> str:
        number = self.tracking_number()
        return self.file(
            "events.csv",
            f"tracking_number,status,occurred_at\n{number},in_transit,2026-11-30T09:00:00Z\n",
        )

    def orders_csv(self) -> str:
        return self.file(
            "orders.csv",
            "external_id,currency,sku,quantity,unit_price,ship_name,ship_line1,ship_city,"
            "ship_postcode,ship_country\nR-1,GBP,SKU-0001,1,9.50,Jo,1 St,Leeds,LS1 4DY,GB\n",
        )


def test_the_readme_names_the_commands_this_test_runs():
    commands = readme_commands()
    assert len(commands) > 50, commands
    names = {" ".join(shlex.split(c)[:2]) for c in commands}
    assert names >= MUST_SUCCEED, MUST_SUCCEED - names
    assert set(BARE) <= names, set(BARE) - names


def test_every_readme_command_runs_or_fails_clearly(demo_business, settings):  # noqa: F811
    runner = CliRunner()
    filler = Filler(Path(settings.HOME))
    problems = []
    for command in readme_commands():
        if command.split()[0] in LONG_RUNNING:
            continue
        argv = filler.fill(command)
        stdin = (
            "a-strong-passphrase\na-strong-passphrase\n"
            if argv[:2] == ["users", "create"]
            else None
        )
        result = runner.invoke(app, argv, input=stdin)
        said = f"despatch {shlex.join(argv)} → {result.exit_code}\n{result.output}"
        name = " ".join(argv[:2])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems.append(f"{said}\nraised {result.exception!r}")
        elif "Traceback" in result.output:
            problems.append(f"{said}\nprinted a traceback")
        elif result.exit_code == 2:
            problems.append(f"{said}\na usage error: the README or the command is wrong")
        elif result.exit_code != 0 and (name in MUST_SUCCEED or "error" not in result.output):
            problems.append(f"{said}\nfailed" + ("" if "error" in result.output else " unclearly"))
    assert not problems, "\n\n".join(problems)


def readme_curl_body() -> dict:
    """The JSON the README's `curl … /api/orders` example posts."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    command = text.split("curl -s -X POST http://127.0.0.1:8000/api/orders", 1)[1]
    return json.loads(command.split("-d '", 1)[1].split("'", 1)[0])


def test_the_readme_curl_example_makes_an_allocated_order_with_its_customer_named(
    demo_business,  # noqa: F811
    client,
):
    from despatch import worker
    from despatch.services import tokens

    body = readme_curl_body()
    assert "customer_name" not in body  # the example names the customer on the address only
    token = tokens.create_token(CRAWLER[0], "readme", actor="test")
    response = client.post(
        "/api/orders",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    worker.drain()
    order = Order.objects.get(id=response.json()["id"])
    name = body["shipping_address"]["name"]
    assert (order.customer_name, order.status) == (name, "allocated")  # as the README says
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "this order is allocated at once" in " ".join(text.split())


def test_the_documented_promise_example_gives_on_the_demo_what_docs_rules_says(
    demo_business,  # noqa: F811
):
    """docs/rules.md says "Try it" under the late summer bank holiday: the demo's London
    warehouse keeps England's public holidays, so its answer is the one the page prints."""
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    found = re.search(r"^despatch (warehouses promise [^\n]+)\n# ([^\n]+)$", text, re.M)
    assert found, "docs/rules.md no longer shows the promise example"
    result = CliRunner().invoke(app, shlex.split(found.group(1)))
    assert result.exit_code == 0, result.output
    assert found.group(2) in " ".join(result.output.split()), result.output
