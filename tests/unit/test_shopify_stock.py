"""The Shopify GraphQL stock mutation: its documented shape and how its errors are read."""

from despatch.integrations.channels.base import StockUpdate
from despatch.integrations.channels.shopify_stock import gid, mutation_body, refused_items

UPDATES = [StockUpdate("A", "30322695", 11), StockUpdate("B", "gid://shopify/InventoryItem/7", 0)]


def test_the_mutation_names_items_and_the_location_by_global_id():
    sent = mutation_body(124656943, UPDATES)["variables"]["input"]
    assert sent["quantities"] == [
        {
            "inventoryItemId": "gid://shopify/InventoryItem/30322695",
            "locationId": "gid://shopify/Location/124656943",
            "quantity": 11,
        },
        {
            "inventoryItemId": "gid://shopify/InventoryItem/7",
            "locationId": "gid://shopify/Location/124656943",
            "quantity": 0,
        },
    ]
    assert sent["name"] == "available" and sent["ignoreCompareQuantity"] is True
    assert gid("Location", "gid://shopify/Location/1") == "gid://shopify/Location/1"


def test_user_errors_are_pinned_to_the_item_they_name():
    answer = {
        "data": {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {"field": ["input", "quantities", "1", "locationId"], "message": "no location"}
                ],
            }
        }
    }
    assert refused_items(answer, UPDATES) == ({"B": "no location"}, "")


def test_an_error_naming_no_item_fails_the_whole_call():
    answer = {"errors": [{"message": "Access denied for inventorySetQuantities field."}]}
    assert refused_items(answer, UPDATES) == ({}, "Access denied for inventorySetQuantities field.")
    no_item = {
        "data": {"inventorySetQuantities": {"userErrors": [{"field": None, "message": "x"}]}}
    }
    assert refused_items(no_item, UPDATES) == ({}, "x")
