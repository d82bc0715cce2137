"""Django models, one module per business noun."""

from despatch.models.audit import AuditEntry, AuditHead
from despatch.models.catalogue import Channel, Sku, Warehouse
from despatch.models.channels import ChannelDelivery, ChannelListing, Lease
from despatch.models.exceptions import ExceptionCase
from despatch.models.fulfillment import (
    Manifest,
    Shipment,
    ShipmentLine,
    TrackingEvent,
    TrackingSerial,
)
from despatch.models.inventory import Reservation, StockLevel, StockMovement
from despatch.models.notifications import Message, NotificationTemplate
from despatch.models.orders import Order, OrderLine
from despatch.models.outbox import OutboxEvent
from despatch.models.payments import PaymentEvent
from despatch.models.picking import PickList, PickTask, PutAwayTask, SkuLocation
from despatch.models.reference import ReferenceVersion
from despatch.models.returns import Refund, ReturnLine, ReturnRequest
from despatch.models.rules import RuleSetVersion
from despatch.models.tokens import ApiToken, StaffAccess
from despatch.models.views import OrderNote, SavedView
from despatch.models.webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Channel",
    "ChannelDelivery",
    "ChannelListing",
    "ExceptionCase",
    "Lease",
    "Manifest",
    "Message",
    "NotificationTemplate",
    "Order",
    "OrderLine",
    "OrderNote",
    "OutboxEvent",
    "PaymentEvent",
    "PickList",
    "PickTask",
    "PutAwayTask",
    "ReferenceVersion",
    "Refund",
    "Reservation",
    "ReturnLine",
    "ReturnRequest",
    "RuleSetVersion",
    "SavedView",
    "Shipment",
    "ShipmentLine",
    "Sku",
    "SkuLocation",
    "StaffAccess",
    "StockLevel",
    "StockMovement",
    "TrackingEvent",
    "TrackingSerial",
    "Warehouse",
    "WebhookDelivery",
    "WebhookSubscription",
]
