"""Our one way to call CloudPayments' API: the `cloudpayments` client, with timeouts, a
configurable base URL, and clear errors for answers it would trip over; plus the calls the
client lacks (cancelling a payment link)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests
from cloudpayments import CloudPayments
from cloudpayments.errors import CloudPaymentsError as ClientError
from cloudpayments.models import Order as ClientOrder
from cloudpayments.models import Transaction
from django.conf import settings
from requests.auth import HTTPBasicAuth

logger = logging.getLogger(__name__)


class CloudPaymentsError(Exception):
    """Anything that went wrong talking to CloudPayments."""


class CloudPaymentsUnavailable(CloudPaymentsError):
    """Timeout, connection refused, HTTP 5xx, or an answer that is not JSON: try later."""


class CloudPaymentsRefused(CloudPaymentsError):
    """CloudPayments answered `Success: false` (or 4xx): retrying the same call won't help."""


class _DecimalEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            # Two-place amounts round-trip exactly through a float's shortest repr.
            return float(o)
        return super().default(o)


class _Client(CloudPayments):
    """The PyPI client with its one HTTP method replaced; its models and calls stay."""

    def __init__(self, public_id: str, api_secret: str, *, base_url: str, timeout: float):
        super().__init__(public_id, api_secret)
        self.URL = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.session = requests.Session()

    def _send_request(self, endpoint, params=None, request_id=None):
        headers = {"Content-Type": "application/json"}
        if request_id is not None:
            headers["X-Request-ID"] = request_id
        url = self.URL + endpoint
        try:
            response = self.session.post(
                url,
                data=json.dumps(params, cls=_DecimalEncoder) if params is not None else None,
                auth=HTTPBasicAuth(self.public_id, self.api_secret),
                headers=headers,
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            raise CloudPaymentsUnavailable(
                f"CloudPayments {endpoint}: no answer in {self.timeout}s"
            ) from exc
        except requests.RequestException as exc:
            raise CloudPaymentsUnavailable(f"CloudPayments {endpoint}: {exc}") from exc
        if response.status_code >= 500:
            raise CloudPaymentsUnavailable(f"CloudPayments {endpoint}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise CloudPaymentsRefused(f"CloudPayments {endpoint}: HTTP {response.status_code}")
        try:
            data = response.json(parse_float=Decimal)
        except ValueError as exc:
            raise CloudPaymentsUnavailable(
                f"CloudPayments {endpoint}: the answer is not JSON "
                f"({response.headers.get('Content-Type', '?')}): {response.text[:100]!r}"
            ) from exc
        if not isinstance(data, dict) or "Success" not in data:
            raise CloudPaymentsUnavailable(
                f"CloudPayments {endpoint}: unexpected answer {str(data)[:100]!r}"
            )
        return data


@dataclass(frozen=True)
class PaymentLink:
    id: str
    url: str


def _refused(exc: ClientError) -> CloudPaymentsRefused:
    message = exc.response.get("Message") if isinstance(exc.response, dict) else None
    return CloudPaymentsRefused(f"CloudPayments refused: {message or 'Success: false'}")


class CloudPaymentsAPI:
    def __init__(
        self,
        *,
        public_id: str | None = None,
        api_secret: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
    ):
        self.client = _Client(
            public_id or settings.CLOUDPAYMENTS_PUBLIC_ID,
            api_secret or settings.CLOUDPAYMENTS_API_SECRET,
            base_url=base_url or settings.CLOUDPAYMENTS_BASE_URL,
            timeout=timeout or settings.CLOUDPAYMENTS_TIMEOUT,
        )

    def test(self) -> str:
        try:
            return self.client.test()
        except ClientError as exc:
            raise _refused(exc) from exc

    def create_payment_link(
        self,
        *,
        amount: Decimal,
        currency: str,
        description: str,
        invoice_id: str,
        account_id: str,
        email: str | None,
        culture: str = "ru-RU",
        receipt: dict[str, Any] | None = None,
    ) -> PaymentLink:
        """`receipt`: the CustomerReceipt the payment carries (54-ФЗ), in `JsonData`, which
        the client's create_order does not take; the request is otherwise the same."""
        try:
            if receipt is None:
                order: ClientOrder = self.client.create_order(
                    amount,
                    currency,
                    description,
                    email=email or None,
                    invoice_id=invoice_id,
                    account_id=account_id,
                    culture_info=culture,
                    send_email=False,
                )
            else:
                params: dict[str, Any] = {
                    "Amount": amount,
                    "Currency": currency,
                    "Description": description,
                    "SendEmail": False,
                    "InvoiceId": invoice_id,
                    "AccountId": account_id,
                    "CultureInfo": culture,
                    "JsonData": {"CloudPayments": {"CustomerReceipt": receipt}},
                }
                if email:
                    params["Email"] = email
                answer = self.client._send_request("orders/create", params)
                if not answer.get("Success"):
                    raise ClientError(answer)
                order = ClientOrder.from_dict(answer["Model"])
        except ClientError as exc:
            raise _refused(exc) from exc
        except (KeyError, TypeError) as exc:
            raise CloudPaymentsUnavailable(f"orders/create: incomplete answer ({exc})") from exc
        return PaymentLink(id=str(order.id), url=order.url)

    def refund(self, transaction_id: str, amount: Decimal, *, request_id: str) -> str:
        """`payments/refund`: money back to the card, in full or in part; the refund's own
        transaction id. `request_id` makes a repeated request (a double click, a retry) give
        the first answer instead of a second refund."""
        try:
            refund_id = self.client.refund(int(transaction_id), amount, request_id=request_id)
        except ClientError as exc:
            raise _refused(exc) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise CloudPaymentsUnavailable(f"payments/refund: incomplete answer ({exc})") from exc
        return str(refund_id)

    def send_receipt(
        self,
        *,
        inn: str,
        receipt_type: str,
        customer_receipt: dict[str, Any],
        invoice_id: str,
        account_id: str,
        request_id: str,
    ) -> str:
        """`kkt/receipt`: a fiscal receipt through CloudPayments' cash register; its id.
        `request_id` makes a retry after a lost answer give the first receipt again."""
        try:
            return str(
                self.client.create_receipt(
                    inn,
                    receipt_type,
                    customer_receipt,
                    invoice_id=invoice_id,
                    account_id=account_id,
                    request_id=request_id,
                )
            )
        except ClientError as exc:
            raise _refused(exc) from exc
        except (KeyError, TypeError) as exc:
            raise CloudPaymentsUnavailable(f"kkt/receipt: incomplete answer ({exc})") from exc

    def cancel_payment_link(self, link_id: str) -> None:
        """`orders/cancel`, which the client does not have."""
        answer = self.client._send_request("orders/cancel", {"Id": link_id})
        if not answer.get("Success"):
            raise CloudPaymentsRefused(
                f"CloudPayments refused to cancel link {link_id}: {answer.get('Message')}"
            )

    def find_payment(self, invoice_id: str) -> Transaction | None:
        """The transaction CloudPayments holds for our invoice number; None if none."""
        try:
            return self.client.find_payment(invoice_id)
        except ClientError as exc:
            message = (exc.response or {}).get("Message") or ""
            if "not found" in message.lower():
                return None
            raise _refused(exc) from exc
        except (KeyError, TypeError) as exc:
            raise CloudPaymentsUnavailable(f"payments/find: incomplete answer ({exc})") from exc

    def list_payments(self, day: dt.date) -> list[Transaction]:
        """The day's payments (refunds and other operations are left out: they are
        transactions too, and must never be read as money received)."""
        answer = self.client._send_request(
            "payments/list", {"Date": day.strftime("%Y-%m-%d"), "Timezone": "MSK"}
        )
        if not answer.get("Success"):
            raise CloudPaymentsRefused(f"CloudPayments refused: {answer.get('Message')}")
        try:
            return [
                Transaction.from_dict(model)
                for model in answer.get("Model") or []
                if model.get("Type", 0) == 0
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise CloudPaymentsUnavailable(f"payments/list: incomplete answer ({exc})") from exc
