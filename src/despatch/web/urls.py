from django.contrib.auth import views as auth_views
from django.urls import include, path

from despatch.web import (
    bulk,
    dashboard,
    exports,
    hooks,
    inbox,
    manifests,
    order_page,
    packing,
    picking,
    returns,
    views,
    waves,
)
from despatch.web.access import public

SIGN_IN = public("the sign-in page")(
    auth_views.LoginView.as_view(template_name="despatch/login.html")
)
SIGN_OUT = public("signing out ends the caller's own session")(auth_views.LogoutView.as_view())

urlpatterns = [
    path("login/", SIGN_IN, name="login"),
    path("logout/", SIGN_OUT, name="logout"),
    path("", dashboard.home, name="home"),
    path("orders/", inbox.inbox, name="inbox"),
    path("kpis.csv", dashboard.kpi_csv, name="kpi-csv"),
    path("kpis/<str:key>/", dashboard.kpi_orders, name="kpi-orders"),
    path("orders/views/", inbox.save_view, name="inbox-view-save"),
    path("orders/views/<int:view_id>/delete/", inbox.delete_view, name="inbox-view-delete"),
    path("orders/bulk/", bulk.bulk_action, name="inbox-bulk"),
    path("orders/print/<str:kind>/", bulk.print_sheet, name="inbox-print"),
    path("orders/export.csv", exports.orders_csv, name="inbox-export"),
    path("orders/<str:order_id>/", order_page.order_detail, name="order"),
    path("orders/<str:order_id>/<str:action>/", order_page.order_action, name="order-action"),
    path("exceptions/", views.exception_queue, name="exceptions"),
    path("exceptions/export.csv", exports.exceptions_csv, name="exceptions-export"),
    path("stock/", views.stock, name="stock"),
    path("stock/export.csv", exports.stock_csv, name="stock-export"),
    path("rules/", views.rule_sets, name="rules"),
    path("webhooks/", hooks.webhook_list, name="webhooks"),
    path("webhooks/subscribe/", hooks.webhook_subscribe, name="webhook-subscribe"),
    path("webhooks/<str:subscription_id>/remove/", hooks.webhook_remove, name="webhook-remove"),
    path(
        "webhooks/deliveries/<str:delivery_id>/replay/", hooks.webhook_replay, name="webhook-replay"
    ),
    path("returns/", returns.customer_page, name="customer-returns"),
    path("returns/done/", returns.customer_done, name="customer-returns-done"),
    path("returns/<str:rma_id>/label.pdf", returns.customer_label, name="customer-returns-label"),
    path("returns-desk/", returns.desk, name="returns-desk"),
    path("returns-desk/<str:rma_id>/receive/", returns.desk_receive, name="returns-receive"),
    path("returns-desk/<str:rma_id>/refund/", returns.desk_refund, name="returns-refund"),
    path("refunds/<str:refund_id>/<str:decision>/", returns.refund_decide, name="refund-decide"),
    path("messages/", hooks.message_log, name="messages"),
    path("messages/<str:message_id>/resend/", hooks.message_resend, name="message-resend"),
    path("channels/", views.channel_list, name="channels"),
    path("channels/<str:code>/", views.channel_detail, name="channel"),
    path("waves/", waves.board, name="waves"),
    path("waves/release/", waves.release, name="wave-release"),
    path("waves/lists/<str:pick_list_id>/assign/", waves.assign, name="pick-list-assign"),
    path("pick/", picking.pick_lists, name="pick-lists"),
    path("pick/<str:pick_list_id>/", picking.pick_screen, name="pick"),
    path("pick/<str:pick_list_id>/print.pdf", picking.pick_list_pdf, name="pick-list-pdf"),
    path("pack/", packing.pack_start, name="pack-start"),
    path("pack/<str:shipment_id>/", packing.pack_screen, name="pack"),
    path("pack/<str:shipment_id>/label.<str:kind>", packing.label_file, name="label-file"),
    path("pack/<str:shipment_id>/slip.pdf", packing.packing_slip, name="packing-slip"),
    path("skus/<str:sku>/image", packing.sku_image, name="sku-image"),
    path("setup/", include("despatch.web.setup.urls")),
    path("manifests/", manifests.manifest_list, name="manifests"),
    path("manifests/close/", manifests.manifest_close, name="manifest-close"),
    path("manifests/labels/", manifests.labels_buy, name="labels-buy"),
    path("manifests/labels/<str:shipment_id>/void/", manifests.label_void, name="label-void"),
    path("manifests/<str:manifest_id>.<str:kind>", manifests.manifest_file, name="manifest-file"),
]
