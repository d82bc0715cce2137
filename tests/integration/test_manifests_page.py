"""Closing the day per carrier from the web app: the parcels ready, the close, the files."""

from zoneinfo import ZoneInfo

from despatch.domain.calendars import day_text
from despatch.domain.wording import carrier_words
from despatch.models import Manifest, Shipment
from despatch.services import packing, shipping, tokens
from tests.integration.demo_business import CRAWLER, demo_business  # noqa: F401 (a fixture)


def _labelled_parcel() -> Shipment:
    shipment = Shipment.objects.filter(status="picking").order_by("id").first()
    weight = sum(item.weight_g for item in packing.shipment_items(shipment.id))
    choice = packing.recommend(shipment.id)
    packing.pack_at_bench(
        shipment.id, weighed_g=weight, carton_id=choice.parcels[0].carton.carton_id, actor="test"
    )
    shipping.buy_label(shipment.id, actor="test")
    return Shipment.objects.get(id=shipment.id)


def test_a_labelled_parcel_waits_on_the_page_until_its_day_is_closed(demo_business, client):  # noqa: F811
    parcel = _labelled_parcel()
    client.login(username=CRAWLER[0], password=CRAWLER[1])
    page = client.get("/manifests/").content.decode()
    assert f"Close the day for {parcel.carrier} at {parcel.warehouse_id}" in page

    closed = client.post(
        "/manifests/close/",
        {"carrier": parcel.carrier, "warehouse": parcel.warehouse_id},
        follow=True,
    )
    assert closed.status_code == 200
    name = carrier_words(parcel.carrier)
    assert name != parcel.carrier  # UPS or Royal Mail, not its code
    assert f"1 parcel despatched with {name} from {parcel.warehouse_id}" in (
        closed.content.decode()
    )
    parcel.refresh_from_db()
    assert parcel.status == "despatched" and parcel.manifest_id
    for kind, media in (("pdf", "application/pdf"), ("csv", "text/csv")):
        response = client.get(f"/manifests/{parcel.manifest_id}.{kind}")
        assert response.status_code == 200 and response["Content-Type"] == media
        body = b"".join(response.streaming_content)
        assert parcel.tracking_number.encode() in body or kind == "pdf"
    assert "Close the day" not in client.get("/manifests/").content.decode()


def test_closing_with_nothing_due_says_so(demo_business, client):  # noqa: F811
    client.login(username=CRAWLER[0], password=CRAWLER[1])
    answer = client.post("/manifests/close/", {"carrier": "ups", "warehouse": "LON"}, follow=True)
    assert "not closed: " in answer.content.decode()
    assert client.get("/manifests/NOPE.pdf").status_code == 404
    assert client.get("/manifests/NOPE.exe").status_code == 404


def test_a_packer_sees_the_manifests_but_may_not_close_one(demo_business, client):  # noqa: F811
    parcel = _labelled_parcel()
    tokens.ensure_user("pat", "bench-and-tape", roles=("packer",))
    client.login(username="pat", password="bench-and-tape")
    assert client.get("/manifests/").status_code == 200
    refused = client.post(
        "/manifests/close/", {"carrier": parcel.carrier, "warehouse": parcel.warehouse_id}
    )
    assert refused.status_code == 403
    parcel.refresh_from_db()
    assert parcel.status == "packed"


def test_a_user_limited_to_another_warehouse_sees_no_manifest_of_this_one(demo_business, client):  # noqa: F811
    from typer.testing import CliRunner

    from despatch.cli.app import app
    from despatch.models import Warehouse
    from despatch.services import manifests

    parcel = _labelled_parcel()
    other = Warehouse.objects.exclude(code=parcel.warehouse_id).order_by("code").first().code
    tokens.ensure_user("lena", "bench-and-tape", roles=("shipping",))
    tokens.set_limits("lena", scopes=(f"warehouse:{other}",))
    args = ["shipping", "manifest", "--carrier", parcel.carrier, "--warehouse"]
    refused = CliRunner().invoke(app, [*args, parcel.warehouse_id, "--by", "lena"])
    assert refused.exit_code == 1 and "outside this scope" in refused.output, refused.output
    parcel.refresh_from_db()
    assert parcel.manifest_id is None
    closed = manifests.close(parcel.carrier, parcel.warehouse_id, actor="test").manifest
    client.login(username="lena", password="bench-and-tape")
    assert closed.id not in client.get("/manifests/").content.decode()
    for kind in ("pdf", "csv"):
        assert client.get(f"/manifests/{closed.id}.{kind}").status_code == 404
    client.login(username=CRAWLER[0], password=CRAWLER[1])
    assert closed.id in client.get("/manifests/").content.decode()
    own = client.get(f"/manifests/{closed.id}.csv")
    assert own.status_code == 200 and parcel.tracking_number.encode() in b"".join(
        own.streaming_content
    )


def test_a_closed_manifest_is_named_by_carrier_warehouse_day_and_parcels(demo_business, client):  # noqa: F811
    parcel = _labelled_parcel()
    client.login(username=CRAWLER[0], password=CRAWLER[1])
    client.post("/manifests/close/", {"carrier": parcel.carrier, "warehouse": parcel.warehouse_id})
    manifest = Manifest.objects.select_related("warehouse").get()
    warehouse = manifest.warehouse
    day = day_text(manifest.created_at.astimezone(ZoneInfo(warehouse.time_zone)))
    name = f"{carrier_words(parcel.carrier)}, {warehouse.name}, {day}, 1 parcel"
    closed = client.get("/manifests/").content.decode().split('id="manifests-closed"', 1)[1]
    assert f'<td>{name} <span class="meta">{manifest.id}</span></td>' in closed
    assert manifest.created_by == f"user:{CRAWLER[0]}"
    assert f"<td>{CRAWLER[0]}</td>" in closed and "user:" not in closed
