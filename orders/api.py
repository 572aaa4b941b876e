"""The intake API for the company's web shop: JSON in, JSON out, Bearer keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from orders.models import ZERO, DeliveryMethod, Order, Source
from orders.phones import phone_normalize
from orders.rules import OrderError
from orders.services import LineInput, api_key_authenticate, customer_find_or_create, order_create
from production.models import Product

MAX_LINES = 200


def api_key_required(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        key = api_key_authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            response = JsonResponse(
                {"error": _("Missing, unknown or revoked API key.")}, status=401
            )
            response["WWW-Authenticate"] = 'Bearer realm="conveyor"'
            return response
        request.api_key = key  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _order_url(order: Order) -> str:
    return settings.SITE_URL + order.get_absolute_url()


def _parse_intake(payload: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate the intake JSON; every problem is reported under its field path."""
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(str(message))

    if not isinstance(payload, dict):
        return {}, {"__all__": [_("The body must be a JSON object.")]}
    data: dict[str, Any] = {}

    external_id = payload.get("external_id")
    if not isinstance(external_id, str | int) or not str(external_id).strip():
        err("external_id", _("This field is required."))
    elif len(str(external_id)) > 100:
        err("external_id", _("At most 100 characters."))
    else:
        data["external_id"] = str(external_id).strip()

    customer = payload.get("customer")
    if not isinstance(customer, dict):
        err("customer", _("This field is required."))
    else:
        name = customer.get("name")
        email = customer.get("email") or ""
        phone = customer.get("phone") or ""
        if not isinstance(name, str) or not name.strip():
            err("customer.name", _("This field is required."))
        elif len(name) > 200:
            err("customer.name", _("At most 200 characters."))
        if not isinstance(email, str):
            err("customer.email", _("Enter a valid e-mail address."))
        elif email:
            try:
                validate_email(email)
            except ValidationError:
                err("customer.email", _("Enter a valid e-mail address."))
        if not isinstance(phone, str) or len(phone) > 32:
            err("customer.phone", _("Enter a valid phone number."))
        elif not email and not phone.strip():
            err("customer", _("Give an e-mail or a phone so we can reach the client."))
        else:
            try:
                phone = phone_normalize(phone)
            except ValueError as error:
                err("customer.phone", str(error))
        language = customer.get("language") or "ru"
        if language not in ("ru", "en"):
            err("customer.language", _("Use “ru” or “en”."))
        data["customer"] = {"name": name, "email": email, "phone": phone, "language": language}

    lines = payload.get("lines")
    if not isinstance(lines, list) or not lines:
        err("lines", _("Give at least one line."))
    elif len(lines) > MAX_LINES:
        err("lines", _("At most %(n)s lines.") % {"n": MAX_LINES})
    else:
        skus = {str(line.get("sku")) for line in lines if isinstance(line, dict)}
        products = {p.sku: p for p in Product.objects.filter(sku__in=skus, is_active=True)}
        parsed = []
        for i, line in enumerate(lines):
            if not isinstance(line, dict):
                err(f"lines[{i}]", _("Each line must be an object."))
                continue
            product = products.get(str(line.get("sku")))
            if product is None:
                err(
                    f"lines[{i}].sku", _("Unknown product SKU: %(sku)s.") % {"sku": line.get("sku")}
                )
            raw = line.get("quantity")
            try:
                if isinstance(raw, bool):
                    raise InvalidOperation
                quantity = Decimal(str(raw))
                if not quantity.is_finite() or quantity <= 0 or quantity.as_tuple().exponent < -3:
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                err(
                    f"lines[{i}].quantity",
                    _("The quantity must be a number more than 0, at most 3 decimals."),
                )
                continue
            # What the client saw in the shop stands: its price and discount, if it sends
            # them; otherwise the catalogue's price.
            price = _money(line, "price", f"lines[{i}].price", err)
            discount = _money(line, "discount", f"lines[{i}].discount", err)
            if product is not None:
                parsed.append(
                    LineInput(
                        product=product,
                        quantity=quantity,
                        price=price,
                        discount=discount if discount is not None else ZERO,
                    )
                )
        data["lines"] = parsed

    delivery = payload.get("delivery") or {"method": DeliveryMethod.PICKUP}
    if not isinstance(delivery, dict):
        err("delivery", _("Must be an object."))
    else:
        method = delivery.get("method", DeliveryMethod.PICKUP)
        address = delivery.get("address") or ""
        if method not in DeliveryMethod.values:
            err(
                "delivery.method",
                _("Use one of: %(choices)s.") % {"choices": ", ".join(DeliveryMethod.values)},
            )
        elif not isinstance(address, str):
            err("delivery.address", _("Must be text."))
        elif method != DeliveryMethod.PICKUP and not address.strip():
            err("delivery.address", _("The address is required unless the client picks up."))
        cost = _money(delivery, "cost", "delivery.cost", err)
        data["delivery"] = {"method": method, "address": address, "cost": cost}

    comment = payload.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > 5000:
        err("comment", _("Must be text of at most 5000 characters."))
    data["comment"] = comment

    # Prices are taken as the company's currency: a shop pricing in another is refused,
    # never booked at the wrong value.
    currency = payload.get("currency")
    if currency is not None and currency != settings.ORDER_CURRENCY:
        err(
            "currency",
            _("Prices must be in %(currency)s, the company's currency.")
            % {"currency": settings.ORDER_CURRENCY},
        )
    return data, errors


def _money(source: dict, key: str, field: str, err) -> Decimal | None:
    """An optional amount of money: a number (or a numeric string) ≥ 0 with at most two
    decimals; None when absent."""
    raw = source.get(key)
    if raw is None or raw == "":
        return None
    try:
        if isinstance(raw, bool):
            raise InvalidOperation
        amount = Decimal(str(raw))
        if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        err(field, _("Must be an amount of at least 0, at most 2 decimals."))
        return None
    return amount


@csrf_exempt
@require_http_methods(["POST"])
@api_key_required
def intake(request: HttpRequest) -> JsonResponse:
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"errors": {"__all__": [_("The body is not valid JSON.")]}}, status=400)
    data, errors = _parse_intake(payload)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    existing = Order.objects.filter(source=Source.WEB_SHOP, external_id=data["external_id"]).first()
    if existing is not None:
        return _intake_answer(existing, status=200)
    try:
        with transaction.atomic():
            customer = customer_find_or_create(**data["customer"])
            order = order_create(
                customer=customer,
                lines=data["lines"],
                source=Source.WEB_SHOP,
                external_id=data["external_id"],
                delivery_method=data["delivery"]["method"],
                delivery_address=data["delivery"]["address"],
                delivery_cost=data["delivery"]["cost"],
                comment=data["comment"],
            )
    except IntegrityError:
        # The same external_id arrived twice at once; the other request created it.
        order = get_object_or_404(Order, source=Source.WEB_SHOP, external_id=data["external_id"])
        return _intake_answer(order, status=200)
    except OrderError as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    return _intake_answer(order, status=201)


def _intake_answer(order: Order, *, status: int) -> JsonResponse:
    return JsonResponse(
        {"number": order.number, "stage": order.stage, "url": _order_url(order)}, status=status
    )


@require_http_methods(["GET"])
@api_key_required
def order_status(request: HttpRequest, number: str) -> JsonResponse:
    order = get_object_or_404(Order, number=number)
    invoices = [
        {
            "number": invoice.number,
            "kind": invoice.kind,
            "amount": str(invoice.amount),
            "status": invoice.status,
            "public_url": invoice_public_url(invoice),
        }
        for invoice in order.invoices.order_by("issued_at", "id")
    ]
    return JsonResponse(
        {
            "number": order.number,
            "stage": order.stage,
            "currency": order.currency,
            "total": str(order.total_amount),
            "paid": str(order.paid_amount),
            "balance": str(order.balance),
            "invoices": invoices,
        }
    )


def invoice_public_url(invoice: Any) -> str | None:
    """The client's link to the invoice; None once revoked, expired or void."""
    return invoice.public_url
