"""The intake API for the company's web shop: an order in, its status out (config.api
mounts the router at /api/v1/orders/)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from ninja import Path, Router, Schema
from ninja.responses import Status
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.phones import MAX_INPUT as PHONE_MAX_INPUT
from core.phones import PHONE_INVALID, PhoneError, phone_normalize
from orders.models import ZERO, ApiKey, ApiScope, Customer, DeliveryMethod, Order, OrderLine, Source
from orders.rules import OrderError
from orders.services.customers import buyer_find_or_create
from orders.services.orders import LineInput
from pipeline.orders import order_create
from production.models import Product
from web.api.base import (
    ApiKeyAuth,
    Errors,
    Input,
    Refusal,
    Refused,
    blank_is_none,
    choice,
    column_limit,
    decimal_for,
    grouped,
    text,
)
from web.api.buyer import BuyerIn

MAX_LINES = 200
SKU_MAX_LENGTH = cast(int, Product._meta.get_field("sku").max_length)  # a CharField's: set
ORDER_NUMBER = re.compile(r"[0-9]{4}-[0-9]{5,15}")

EMAIL_INVALID = _("Enter a valid e-mail address.")
NO_CONTACT = _("Give an e-mail or a phone so we can reach the client.")
LANGUAGE_INVALID = _("Use “ru” or “en”.")
NO_LINES = _("Give at least one line.")
TOO_MANY_LINES = _("At most %(n)s lines.")
UNKNOWN_SKU = _("Unknown product SKU: %(sku)s.")
QUANTITY_INVALID = _("The quantity must be a number more than 0, at most 3 decimals.")
AMOUNT_INVALID = _("Must be an amount of at least 0, at most 2 decimals.")
METHOD_INVALID = _("Use one of: %(choices)s.")
ADDRESS_REQUIRED = _("The address is required unless the client picks up.")
COMMENT_INVALID = _("Must be text of at most 5000 characters.")
CURRENCY_INVALID = _("Prices must be in %(currency)s, the company's currency.")
TOTAL_TOO_BIG = _("The order's total must be less than %(limit)s.")
NO_SUCH_ORDER = _("No order %(number)s.")

router = Router(tags=["orders"])

# The fields' types are pydantic Annotated types built at run time (text(), choice(),
# decimal_for()): mypy cannot read a call as a type, hence the valid-type ignores below.

_line_money = OrderLine._meta.get_field("price")
LineMoney = Annotated[  # type: ignore[valid-type]
    decimal_for(_line_money, message=AMOUNT_INVALID) | None, BeforeValidator(blank_is_none)
]
DeliveryCost = Annotated[  # type: ignore[valid-type]
    decimal_for(Order._meta.get_field("delivery_cost"), message=AMOUNT_INVALID) | None,
    BeforeValidator(blank_is_none),
]
Quantity = decimal_for(
    OrderLine._meta.get_field("quantity"), message=QUANTITY_INVALID, positive=True
)


def _catalogue(info: ValidationInfo, skus: set[str]) -> dict[str, Product]:
    """The active products of the document's SKUs: looked up once for all its lines (the
    first line to ask loads them into the validation context ninja gives each request)."""
    context = info.context if isinstance(info.context, dict) else {}
    if "catalogue" not in context:
        context["catalogue"] = {
            p.sku: p for p in Product.objects.filter(sku__in=skus, is_active=True)
        }
    return context["catalogue"]


class CustomerIn(Input):
    name: text(Customer._meta.get_field("name").max_length, required=True) = Field(  # type: ignore[valid-type]
        description="The client's name as they gave it."
    )
    email: text(Customer._meta.get_field("email").max_length, message=EMAIL_INVALID) = Field(  # type: ignore[valid-type]
        "", description="A returning client is recognised by e-mail, then by phone."
    )
    phone: text(PHONE_MAX_INPUT, message=PHONE_INVALID) = Field(  # type: ignore[valid-type]
        "", description="Any common form; a number without its country code is Russian."
    )
    language: choice(  # type: ignore[valid-type]
        Customer.Language.values, message=LANGUAGE_INVALID, default=Customer.Language.RU
    ) = Field(Customer.Language.RU, description="The language of the client's e-mails.")

    @field_validator("email")
    @classmethod
    def _email(cls, email: str) -> str:
        if email:
            try:
                validate_email(email)
            except DjangoValidationError:
                raise Refused(EMAIL_INVALID) from None
        return email

    @field_validator("phone")
    @classmethod
    def _phone(cls, phone: str) -> str:
        try:
            return phone_normalize(phone)
        except PhoneError as error:
            raise Refused(str(error)) from None

    @model_validator(mode="after")
    def _reachable(self) -> CustomerIn:
        if not self.email and not self.phone:
            raise Refused(NO_CONTACT)
        return self


class LineIn(Input):
    sku: text(SKU_MAX_LENGTH, required=True) = Field(  # type: ignore[valid-type]
        description="A product of the catalogue that is in use."
    )
    quantity: Quantity = Field(description="More than 0, at most 3 decimals.")  # type: ignore[valid-type]
    price: LineMoney = Field(  # type: ignore[valid-type]
        None, description="The unit price the client saw; the catalogue's when absent."
    )
    discount: LineMoney = Field(None, description="An amount off the line, not a percentage.")  # type: ignore[valid-type]
    _product: Product = PrivateAttr()

    @field_validator("sku")
    @classmethod
    def _known(cls, sku: str, info: ValidationInfo) -> str:
        if sku not in _catalogue(info, {sku}):
            raise Refused(str(UNKNOWN_SKU) % {"sku": sku})
        return sku

    @model_validator(mode="after")
    def _attach(self, info: ValidationInfo) -> LineIn:
        self._product = _catalogue(info, {self.sku})[self.sku]
        return self

    @property
    def amount(self) -> Decimal:
        price = self._product.price if self.price is None else self.price
        return self.quantity * price - (self.discount or ZERO)

    def as_input(self) -> LineInput:
        return LineInput(
            product=self._product,
            quantity=self.quantity,
            price=self.price,
            discount=self.discount or ZERO,
        )


class DeliveryIn(Input):
    method: choice(  # type: ignore[valid-type]
        DeliveryMethod.values,
        message=lazy(lambda: METHOD_INVALID % {"choices": ", ".join(DeliveryMethod.values)}, str)(),
        default=DeliveryMethod.PICKUP,
    ) = DeliveryMethod.PICKUP
    address: text(1000) = Field("", validate_default=True)  # type: ignore[valid-type]
    cost: DeliveryCost = Field(None, description="What the client pays for delivery.")  # type: ignore[valid-type]

    @field_validator("address")
    @classmethod
    def _address(cls, address: str, info: ValidationInfo) -> str:
        method = info.data.get("method")
        if method is not None and method != DeliveryMethod.PICKUP and not address:
            raise Refused(ADDRESS_REQUIRED)
        return address


def _lines(value: Any, info: ValidationInfo) -> Any:
    """Counted before a line is read: a body of 100,000 lines is refused in one step. The
    lines' SKUs are looked up here, in one query for the whole document."""
    if not isinstance(value, list) or not value:
        raise Refused(NO_LINES)
    if len(value) > MAX_LINES:
        raise Refused(str(TOO_MANY_LINES) % {"n": MAX_LINES})
    skus = set()
    for line in value:
        sku = line.get("sku") if isinstance(line, dict) else None
        # Only what could be a SKU goes into the query: PostgreSQL refuses a NUL, and a
        # lone surrogate cannot be encoded for it.
        if isinstance(sku, str) and len(sku) <= SKU_MAX_LENGTH and sku.isprintable():
            skus.add(sku.strip())
    _catalogue(info, skus)
    return value


def _currency(value: Any) -> str | None:
    if value is not None and value != settings.ORDER_CURRENCY:
        raise Refused(str(CURRENCY_INVALID) % {"currency": settings.ORDER_CURRENCY})
    return value


class IntakeIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "external_id": "shop-1001",
                    "customer": {
                        "name": "Анна Иванова",
                        "email": "anna@example.com",
                        "phone": "+7 900 000-00-01",
                    },
                    "lines": [
                        {
                            "sku": "TBL-OAK-160",
                            "quantity": 1,
                            "price": "13990.00",
                            "discount": "990",
                        }
                    ],
                    "delivery": {
                        "method": "carrier",
                        "address": "Москва, ул. Лесная, 5",
                        "cost": "700",
                    },
                    "comment": "Позвоните заранее",
                },
                {
                    "external_id": "shop-1002",
                    "customer": {"name": "Ольга Смирнова", "email": "olga@romashka.ru"},
                    "buyer": {
                        "kind": "company",
                        "name": "ООО «Ромашка»",
                        "inn": "7707083893",
                        "kpp": "773601001",
                        "ogrn": "1027700132195",
                        "legal_address": "117997, г. Москва, ул. Вавилова, д. 19",
                        "bank": {
                            "name": "ПАО Сбербанк",
                            "bik": "044525225",
                            "account": "40702810938000000001",
                            "correspondent_account": "30101810400000000225",
                        },
                    },
                    "lines": [{"sku": "TBL-OAK-160", "quantity": 2}],
                },
            ]
        }
    )

    external_id: text(  # type: ignore[valid-type]
        Order._meta.get_field("external_id").max_length, required=True, numbers=True
    ) = Field(description="The shop's order id. The same id again answers with the same order.")
    customer: CustomerIn = Field(description="The contact: who ordered and hears from us.")
    buyer: BuyerIn | None = Field(
        None,
        description="Who pays and is named on the invoice, with its requisites; a person "
        "when absent. The same INN is always the same customer.",
    )
    lines: Annotated[list[LineIn], BeforeValidator(_lines)] = Field(
        description=f"1 to {MAX_LINES} lines."
    )
    delivery: DeliveryIn | None = Field(None, description="Pickup when absent.")
    comment: text(5000, message=COMMENT_INVALID) = Field("", description="The client's comment.")  # type: ignore[valid-type]
    currency: Annotated[str | None, BeforeValidator(_currency)] = Field(
        None, description="If sent, the company's currency (ORDER_CURRENCY, RUB by default)."
    )

    @model_validator(mode="after")
    def _total_fits(self) -> IntakeIn:
        delivery = self.delivery or DeliveryIn()
        total = sum((line.amount for line in self.lines), ZERO)
        if delivery.method != DeliveryMethod.PICKUP:
            total += delivery.cost or ZERO
        limit = column_limit(Order._meta.get_field("total_amount"))
        if total >= limit:
            raise Refused(str(TOTAL_TOO_BIG) % {"limit": grouped(limit)})
        return self


class IntakeOut(Schema):
    number: str = Field(examples=["2026-00042"])
    stage: str = Field(examples=["new"])
    url: str = Field(description="The order's page for the company's staff.")


class InvoiceState(Schema):
    number: str
    kind: str = Field(examples=["prepayment"])
    amount: str = Field(examples=["10000.00"])
    status: str = Field(examples=["partially_paid"])
    public_url: str | None = Field(description="The client's link; null once revoked or void.")


class OrderState(Schema):
    number: str
    stage: str
    currency: str = Field(examples=["RUB"])
    total: str = Field(examples=["30000.00"])
    paid: str = Field(examples=["4000.00"])
    balance: str = Field(examples=["26000.00"])
    invoices: list[InvoiceState]


def _intake_answer(order: Order) -> dict[str, str]:
    return {
        "number": order.number,
        "stage": order.stage,
        "url": settings.SITE_URL + order.get_absolute_url(),
    }


@router.post(
    "",
    auth=ApiKeyAuth(ApiScope.INTAKE),
    response={200: IntakeOut, 201: IntakeOut, 400: Errors, 401: Refusal, 403: Refusal, 413: Errors},
    summary="Send an order in",
    operation_id="order_intake",
)
def intake(request: HttpRequest, payload: IntakeIn) -> Status:
    """A new order from the web shop goes to a manager: `201`. The same `external_id` again
    answers `200` with that order and changes nothing. Bad input: `400` with every problem
    under its field, and nothing is created. Needs the `intake` scope."""
    existing = Order.objects.filter(source=Source.WEB_SHOP, external_id=payload.external_id).first()
    if existing is not None:
        return Status(200, _intake_answer(existing))
    delivery = payload.delivery or DeliveryIn()
    try:
        with transaction.atomic():
            customer = buyer_find_or_create(
                **payload.customer.model_dump(),
                requisites=payload.buyer.requisites() if payload.buyer else None,
            )
            order = order_create(
                customer=customer,
                lines=[line.as_input() for line in payload.lines],
                source=Source.WEB_SHOP,
                external_id=payload.external_id,
                # ninja's authentication puts the key on the request (unknown to the stubs).
                api_key=request.auth,  # type: ignore[attr-defined]
                delivery_method=delivery.method,
                delivery_address=delivery.address,
                delivery_cost=delivery.cost,
                comment=payload.comment,
            )
    except IntegrityError:
        # The same external_id arrived twice at once; the other request created it.
        order = Order.objects.get(source=Source.WEB_SHOP, external_id=payload.external_id)
        return Status(200, _intake_answer(order))
    except OrderError as exc:
        return Status(400, {"errors": exc.errors})
    return Status(201, _intake_answer(order))


@router.get(
    "{number}/",
    auth=ApiKeyAuth(ApiScope.READ),
    response={200: OrderState, 401: Refusal, 403: Refusal, 404: Refusal},
    summary="Read an order's status",
    operation_id="order_status",
)
def order_status(
    request: HttpRequest,
    number: str = Path(description="The number the intake answered.", examples=["2026-00042"]),
) -> dict[str, Any]:
    """The stage, the money and the invoices of an order. A key reads the orders it sent in;
    a key that also holds the `accounting` scope reads any. Needs the `read` scope."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    orders = Order.objects.all() if key.reads_any_order else Order.objects.filter(api_key=key)
    order = orders.filter(number=number).first() if ORDER_NUMBER.fullmatch(number) else None
    if order is None:
        raise Http404(str(NO_SUCH_ORDER) % {"number": number[:40]})
    return {
        "number": order.number,
        "stage": order.stage,
        "currency": order.currency,
        "total": str(order.total_amount),
        "paid": str(order.paid_amount),
        "balance": str(order.balance),
        "invoices": [
            {
                "number": invoice.number,
                "kind": invoice.kind,
                "amount": str(invoice.amount),
                "status": invoice.status,
                "public_url": invoice.public_url,
            }
            for invoice in order.invoices.order_by("issued_at", "id")
        ],
    }
