"""``/setup/…``: the configuration pages (see web/setup/__init__.py)."""

from django.urls import path

from despatch.web.setup import (
    channels,
    index,
    notifications,
    shipping,
    skus,
    users,
    warehouses,
)

urlpatterns = [
    path("", index.setup_index, name="setup"),
    path("users/", users.user_list, name="setup-users"),
    path("users/<str:username>/", users.user_detail, name="setup-user"),
    path("roles/", users.role_table, name="setup-roles"),
    path("tokens/", users.token_list, name="setup-tokens"),
    path("tokens/<str:token_id>/revoke/", users.token_revoke, name="setup-token-revoke"),
    path("channels/", channels.channel_list, name="setup-channels"),
    path("channels/<str:code>/", channels.channel_edit, name="setup-channel"),
    path("channels/<str:code>/test/", channels.channel_test, name="setup-channel-test"),
    path("warehouses/", warehouses.warehouse_list, name="setup-warehouses"),
    path("warehouses/<str:code>/", warehouses.warehouse_edit, name="setup-warehouse"),
    path("skus/", skus.sku_list, name="setup-skus"),
    path("cartons/", shipping.carton_page, name="setup-cartons"),
    path("cartons/<str:carton_id>/remove/", shipping.carton_remove, name="setup-carton-remove"),
    path("carriers/", shipping.carrier_page, name="setup-carriers"),
    path("notifications/", notifications.template_list, name="setup-notifications"),
    path("notifications/<str:template>/", notifications.template_edit, name="setup-notification"),
    path("skus/<path:code>/stock/", skus.sku_stock, name="setup-sku-stock"),
    path("skus/<path:code>/", skus.sku_edit, name="setup-sku"),
]
