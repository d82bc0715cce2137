"""Ops UI: outbound webhooks (subscriptions, deliveries, replay) and the message log."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from despatch.domain.errors import DomainError
from despatch.domain.notifications import MessageStatus
from despatch.domain.webhooks import EVENT_TYPES, DeliveryStatus
from despatch.services import notifications, webhooks
from despatch.web.access import access, in_scope, requires


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


@requires("webhooks.manage")
def webhook_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    try:
        rows = webhooks.deliveries(status=status, limit=200)
    except DomainError:
        rows, status = webhooks.deliveries(limit=200), ""
    context = {
        "subscriptions": webhooks.subscriptions(),
        "deliveries": rows,
        "status": status,
        "event_types": list(EVENT_TYPES),
        "statuses": [s.value for s in DeliveryStatus],
    }
    return render(request, "despatch/webhooks.html", context)


@requires("webhooks.manage")
@require_POST
def webhook_subscribe(request: HttpRequest) -> HttpResponse:
    try:
        sub = webhooks.subscribe(
            url=request.POST.get("url", "").strip(),
            events=request.POST.getlist("events"),
            description=request.POST.get("description", "").strip(),
            actor=_actor(request),
        )
        flash.success(request, f"subscribed {sub.url}; signing secret: {sub.secret}")
    except DomainError as exc:
        flash.error(request, f"not subscribed: {_said(exc)}")
    return redirect("webhooks")


@requires("webhooks.manage")
@require_POST
def webhook_remove(request: HttpRequest, subscription_id: str) -> HttpResponse:
    try:
        webhooks.unsubscribe(subscription_id, actor=_actor(request))
        flash.success(request, "subscription removed")
    except DomainError as exc:
        flash.error(request, exc.detail)
    return redirect("webhooks")


@requires("webhooks.manage")
@require_POST
def webhook_replay(request: HttpRequest, delivery_id: str) -> HttpResponse:
    try:
        delivery = webhooks.replay(delivery_id, actor=_actor(request))
        flash.success(request, f"{delivery.id} queued again")
    except DomainError as exc:
        flash.error(request, f"replay refused: {exc.detail}")
    return redirect("webhooks")


@requires("messages.read")
def message_log(request: HttpRequest) -> HttpResponse:
    status, order_id = request.GET.get("status", ""), request.GET.get("order", "").strip()
    try:
        rows = notifications.list_messages(
            status=status, order_id=order_id, limit=200, scope=access(request).scope
        )
    except DomainError:
        rows = notifications.list_messages(order_id=order_id, scope=access(request).scope)
        status = ""
    statuses = [s.value for s in MessageStatus]
    context = {"rows": rows, "status": status, "order": order_id, "statuses": statuses}
    return render(request, "despatch/messages.html", context)


@requires("messages.resend")
@require_POST
def message_resend(request: HttpRequest, message_id: str) -> HttpResponse:
    in_scope(request, "message_id", message_id)
    try:
        message = notifications.resend(message_id, actor=_actor(request))
        flash.success(request, f"{message.id} to {message.recipient} queued again")
    except DomainError as exc:
        flash.error(request, f"resend refused: {exc.detail}")
    return redirect("messages")


def _said(exc: DomainError) -> str:
    errors = getattr(exc, "errors", None)
    return "; ".join(f"{e.field}: {e.message}" for e in errors) if errors else exc.detail
