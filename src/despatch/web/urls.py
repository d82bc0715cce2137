from django.contrib.auth import views as auth_views
from django.urls import path

from despatch.web import hooks, manifests, returns, views
from despatch.web.access import public

SIGN_IN = public("the sign-in page")(
    auth_views.LoginView.as_view(template_name="despatch/login.html")
)
SIGN_OUT = public("signing out ends the caller's own session")(auth_views.LogoutView.as_view())

urlpatterns = [
    path("login/", SIGN_IN, name="login"),
    path("logout/", SIGN_OUT, name="logout"),
    path("", views.inbox, name="inbox"),
    path("orders/<str:order_id>/", views.order_detail, name="order"),
    path("orders/<str:order_id>/<str:action>/", views.order_action, name="order-action"),
    path("exceptions/", views.exception_queue, name="exceptions"),
    path("stock/", views.stock, name="stock"),
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
    path("pick/", views.pick_lists, name="pick-lists"),
    path("pick/<str:pick_list_id>/", views.pick_screen, name="pick"),
    path("pack/", views.pack_start, name="pack-start"),
    path("pack/<str:shipment_id>/", views.pack_screen, name="pack"),
    path("pack/<str:shipment_id>/label.<str:kind>", views.label_file, name="label-file"),
    path("manifests/", manifests.manifest_list, name="manifests"),
    path("manifests/close/", manifests.manifest_close, name="manifest-close"),
    path("manifests/<str:manifest_id>.<str:kind>", manifests.manifest_file, name="manifest-file"),
]
