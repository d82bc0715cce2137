"""The demo's parcels weigh something: a packed or despatched parcel carries its items'
weight plus the packaging, as one packed at a bench with a scale would."""

from despatch.models import Shipment
from despatch.services import demo, packing
from tests.integration.demo_business import demo_business  # noqa: F401 (a fixture)


def test_the_demo_packs_its_parcels_with_a_plausible_weight(demo_business):  # noqa: F811
    packed = Shipment.objects.filter(status__in=("packed", "despatched", "delivered"))
    assert packed.exists()
    for shipment in packed:
        items = sum(item.weight_g for item in packing.shipment_items(shipment.id))
        assert items > 0
        assert shipment.weight_g == items + demo.PACKAGING_G
