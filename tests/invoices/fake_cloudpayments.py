"""A small CloudPayments API on 127.0.0.1 for tests: Basic auth with the public id and API
secret, JSON in, `{"Model": ..., "Success": ..., "Message": ...}` out, as the real one.
It can be told to time out, answer HTTP 500, or answer something that is not JSON."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")


def transaction_model(
    *,
    transaction_id: int,
    invoice_id: str,
    amount: Decimal,
    account_id: str = "",
    currency: str = "RUB",
    status: str = "Completed",
    test_mode: bool = False,
    created: str | None = None,
) -> dict[str, Any]:
    """`created`: Moscow time, ISO; now by default (the list is asked by Moscow day)."""
    moment = (
        dt.datetime.fromisoformat(created).replace(tzinfo=MSK)
        if created
        else dt.datetime.now(MSK).replace(microsecond=0)
    )
    created = moment.replace(tzinfo=None).isoformat()
    stamp = f"/Date({int(moment.timestamp() * 1000)})/"
    return {
        "ReasonCode": 0,
        "PublicId": "pk_test_conveyor",
        "TerminalUrl": "https://shop.example",
        "TransactionId": transaction_id,
        "Amount": float(amount),
        "Currency": currency,
        "CurrencyCode": 0,
        "PaymentAmount": float(amount),
        "PaymentCurrency": currency,
        "PaymentCurrencyCode": 0,
        "InvoiceId": invoice_id,
        "AccountId": account_id,
        "Email": "klient@example.ru",
        "Description": "Оплата счёта " + invoice_id,
        "JsonData": None,
        "CreatedDate": stamp,
        "PayoutDate": None,
        "PayoutDateIso": None,
        "PayoutAmount": None,
        "CreatedDateIso": created,
        "AuthDate": stamp,
        "AuthDateIso": created,
        "ConfirmDate": stamp,
        "ConfirmDateIso": created if status == "Completed" else None,
        "AuthCode": "A1B2C3",
        "TestMode": test_mode,
        "Rrn": None,
        "OriginalTransactionId": None,
        "FallBackScenarioDeclinedTransactionId": None,
        "IpAddress": "127.0.0.1",
        "IpCountry": "RU",
        "IpCity": "Москва",
        "IpRegion": "Москва",
        "IpDistrict": "Центральный федеральный округ",
        "IpLatitude": 55.75,
        "IpLongitude": 37.61,
        "CardFirstSix": "424242",
        "CardLastFour": "4242",
        "CardExpDate": "12/28",
        "CardType": "Visa",
        "CardProduct": "C",
        "CardCategory": "Visa Classic",
        "EscrowAccumulationId": None,
        "IssuerBankCountry": "RU",
        "Issuer": "Sberbank",
        "CardTypeCode": 0,
        "Status": status,
        "StatusCode": 3 if status == "Completed" else 2,
        "CultureName": "ru",
        "Reason": "Approved",
        "CardHolderMessage": "Оплата успешно проведена",
        "Type": 0,
        "Refunded": False,
        "Name": "ANNA K",
        "Token": None,
        "SubscriptionId": None,
        "GatewayName": "Tinkoff",
        "ApplePay": False,
        "AndroidPay": False,
        "WalletType": "",
        "TotalFee": 0,
    }


# What CloudPayments' cash register takes (CloudKassir): `vat` null is "without VAT"; the
# calculated rates (1xx) are for prepayments; `method` 1–7 (tag 1214), `object` 1–27.
RECEIPT_VATS = {None, 0, 5, 7, 10, 20, 22, 105, 107, 110, 120, 122}
RECEIPT_TYPES = {"Income", "IncomeReturn", "Expense", "ExpenseReturn"}
PREPAYMENT_METHODS = {1, 2, 3}
AMOUNT_KEYS = {"electronic", "advancePayment", "credit", "provision"}


def _money(value: Any) -> Decimal | None:
    """A sum in roubles with at most two decimals; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = Decimal(str(value))
    return number if number >= 0 and number == number.quantize(Decimal("0.01")) else None


def receipt_problem(receipt: Any, *, total: Decimal | None = None) -> str | None:
    """Why CloudPayments would refuse this CustomerReceipt; None when it takes it."""
    if not isinstance(receipt, dict):
        return "CustomerReceipt is required"
    items = receipt.get("Items")
    if not isinstance(items, list) or not items:
        return "CustomerReceipt.Items is required"
    sum_items = Decimal("0")
    for n, item in enumerate(items):
        where = f"Items[{n}]"
        if not isinstance(item, dict):
            return f"{where} is invalid"
        label = item.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 128:
            return f"{where}.label is invalid"
        price, amount = _money(item.get("price")), _money(item.get("amount"))
        quantity = item.get("quantity")
        if price is None or amount is None:
            return f"{where}: price and amount are sums in roubles"
        if isinstance(quantity, bool) or not isinstance(quantity, int | float) or quantity <= 0:
            return f"{where}.quantity is invalid"
        # The amount is after discounts: never more than price × quantity.
        if amount > (price * Decimal(str(quantity))).quantize(Decimal("0.01")):
            return f"{where}.amount exceeds price * quantity"
        if item.get("vat", None) not in RECEIPT_VATS or isinstance(item.get("vat"), bool):
            return f"{where}.vat is invalid"
        method, subject = item.get("method"), item.get("object")
        if not isinstance(method, int) or not 1 <= method <= 7:
            return f"{where}.method is invalid"
        if not isinstance(subject, int) or not 1 <= subject <= 27:
            return f"{where}.object is invalid"
        vat = item.get("vat")
        if method in PREPAYMENT_METHODS and vat in (5, 7, 10, 20, 22):
            return f"{where}.vat: a prepayment takes the calculated rate"
        if method not in PREPAYMENT_METHODS and vat is not None and vat > 100:
            return f"{where}.vat: the calculated rate is for prepayments only"
        sum_items += amount
    if receipt.get("taxationSystem") not in range(6):
        return "CustomerReceipt.taxationSystem is invalid"
    email, phone = receipt.get("email") or "", receipt.get("phone") or ""
    if not email and not phone:
        return "CustomerReceipt: email or phone is required"
    if email and (not isinstance(email, str) or "@" not in email):
        return "CustomerReceipt.email is invalid"
    if phone and not (isinstance(phone, str) and re.fullmatch(r"\+\d{10,15}", phone)):
        return "CustomerReceipt.phone is invalid"
    amounts = receipt.get("amounts")
    if amounts is not None:
        if not isinstance(amounts, dict) or set(amounts) - AMOUNT_KEYS:
            return "CustomerReceipt.amounts is invalid"
        paid = [_money(amounts.get(key, 0)) for key in AMOUNT_KEYS]
        if any(value is None for value in paid):
            return "CustomerReceipt.amounts is invalid"
        if sum(paid, Decimal("0")) != sum_items:  # type: ignore[arg-type]
            return "CustomerReceipt.amounts do not add up to the items"
        if _money(amounts.get("advancePayment", 0)) and any(
            item["method"] in PREPAYMENT_METHODS for item in items
        ):
            return "CustomerReceipt: an advance is offset by a settlement only"
    if total is not None and sum_items != total:
        return f"CustomerReceipt: the items add up to {sum_items}, not {total}"
    return None


class FakeCloudPayments:
    def __init__(self, public_id: str, api_secret: str):
        self.public_id = public_id
        self.api_secret = api_secret
        self.transactions: list[dict[str, Any]] = []
        self.orders: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.refunds: list[tuple[int, Decimal]] = []
        self.answered: dict[str, dict[str, Any]] = {}
        self.request_id = ""
        # Called on each refund made, in the server's thread: what else happens meanwhile.
        self.on_refund: Callable[[int, Decimal], None] | None = None
        self.mode = "ok"  # ok | timeout | error500 | html
        # kkt/receipt: the receipts it took (Inn, Type, CustomerReceipt…), and how many
        # calls to answer HTTP 500 first (a cash register that is down).
        self.receipts: list[dict[str, Any]] = []
        self.receipt_failures = 0
        self.delay = 0.0
        self._next_order = 1
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> FakeCloudPayments:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _refund(self, params: dict[str, Any]) -> dict[str, Any]:
        """Refunds as the real API takes them: up to what is left of the payment; a repeated
        X-Request-ID gets the first answer."""
        if (key := self.request_id) and key in self.answered:
            return self.answered[key]
        original = next(
            (t for t in self.transactions if t["TransactionId"] == params.get("TransactionId")),
            None,
        )
        amount = Decimal(str(params.get("Amount", 0)))
        if original is None:
            answer = {"Success": False, "Message": "Transaction not found", "Model": None}
        elif amount <= 0 or amount > Decimal(str(original["Amount"])) - self.refunded(original):
            answer = {"Success": False, "Message": "Refund amount exceeds the payment"}
        else:
            self.refunds.append((original["TransactionId"], amount))
            if self.on_refund is not None:
                self.on_refund(original["TransactionId"], amount)
            answer = {
                "Model": {"TransactionId": 900000 + len(self.refunds)},
                "Success": True,
                "Message": None,
            }
        if key:
            self.answered[key] = answer
        return answer

    def _receipt(self, params: dict[str, Any]) -> dict[str, Any]:
        """kkt/receipt as CloudKassir takes it: the register's INN, a type, a receipt whose
        shape it checks; "Queued" with the receipt's id. A repeated X-Request-ID gets the
        first answer, and no second receipt."""
        if (key := self.request_id) and key in self.answered:
            return self.answered[key]
        inn = params.get("Inn")
        if not (isinstance(inn, str) and inn.isdigit() and len(inn) in (10, 12)):
            return {"Success": False, "Message": "Inn is invalid", "Model": None}
        if params.get("Type") not in RECEIPT_TYPES:
            return {"Success": False, "Message": "Type is invalid", "Model": None}
        if problem := receipt_problem(params.get("CustomerReceipt")):
            return {"Success": False, "Message": problem, "Model": None}
        self.receipts.append(params)
        answer = {
            "Model": {"Id": f"2u3jXNbh5bk{len(self.receipts):05d}", "ErrorCode": 0},
            "Success": True,
            "Message": "Queued",
        }
        if key:
            self.answered[key] = answer
        return answer

    def refunded(self, transaction: dict[str, Any]) -> Decimal:
        tx_id = transaction["TransactionId"]
        return sum((amount for t, amount in self.refunds if t == tx_id), Decimal("0"))

    def add_transaction(self, **kwargs: Any) -> dict[str, Any]:
        model = transaction_model(**kwargs)
        self.transactions.append(model)
        return model

    # ------------------------------------------------------------------ protocol
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        endpoint = handler.path.strip("/")
        if self.mode == "timeout":
            time.sleep(self.delay or 3)
        if self.mode == "error500":
            return self._send(handler, 500, b"<html>Internal Server Error</html>", "text/html")
        if self.mode == "html":
            return self._send(handler, 200, b"<html>Maintenance</html>", "text/html")
        if endpoint == "kkt/receipt" and self.receipt_failures > 0:
            self.receipt_failures -= 1
            return self._send(handler, 500, b"<html>Internal Server Error</html>", "text/html")
        expected = base64.b64encode(f"{self.public_id}:{self.api_secret}".encode()).decode()
        if handler.headers.get("Authorization") != f"Basic {expected}":
            return self._send(handler, 401, b"", "text/plain")
        try:
            params = json.loads(raw) if raw else {}
        except ValueError:
            return self._json(handler, {"Success": False, "Message": "Invalid JSON"})
        with self.lock:
            self.request_id = handler.headers.get("X-Request-ID", "")
            self.requests.append((endpoint, params))
            answer = self._answer(endpoint, params)
        return self._json(handler, answer)

    def _answer(self, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        if endpoint == "payments/refund":
            return self._refund(params)
        if endpoint == "test":
            return {"Success": True, "Message": "bd6353c3-0ed6-4a65-946f-083664bf8dbd"}
        if endpoint == "kkt/receipt":
            return self._receipt(params)
        if endpoint == "orders/create":
            missing = [
                k for k in ("Amount", "Currency", "Description") if params.get(k) in (None, "")
            ]
            if missing:
                return {"Success": False, "Message": f"{missing[0]} is required"}
            if (data := params.get("JsonData")) is not None:
                cp = data.get("CloudPayments") if isinstance(data, dict) else None
                receipt = cp.get("CustomerReceipt") if isinstance(cp, dict) else None
                total = _money(params["Amount"])
                if problem := receipt_problem(receipt, total=total):
                    return {"Success": False, "Message": problem}
            order_id = f"f2K8LV6reGE9WBFn{self._next_order:04d}"
            self._next_order += 1
            order = {
                "Id": order_id,
                "Number": self._next_order,
                "Amount": params["Amount"],
                "Currency": params["Currency"],
                "CurrencyCode": 0,
                "Email": params.get("Email"),
                "Phone": None,
                "Description": params["Description"],
                "RequireConfirmation": bool(params.get("RequireConfirmation", False)),
                "Url": f"https://orders.cloudpayments.ru/d/{order_id}",
                "CultureName": params.get("CultureInfo", "ru-RU"),
                "CreatedDate": "/Date(1764152100000)/",
                "CreatedDateIso": "2026-11-26T10:15:00",
                "PaymentDate": None,
                "PaymentDateIso": None,
                "StatusCode": 0,
                "Status": "Created",
                "InternalId": 1000 + self._next_order,
                "InvoiceId": params.get("InvoiceId"),
                "AccountId": params.get("AccountId"),
            }
            self.orders[order_id] = order
            return {"Model": order, "Success": True, "Message": None}
        if endpoint == "orders/cancel":
            order = self.orders.get(str(params.get("Id")))
            if order is None:
                return {"Success": False, "Message": "Not found"}
            order["Status"] = "Cancelled"
            return {"Success": True, "Message": None}
        if endpoint == "payments/find":
            matches = [t for t in self.transactions if t["InvoiceId"] == params.get("InvoiceId")]
            if not matches:
                return {"Model": None, "Success": False, "Message": "Not found"}
            return {"Model": matches[-1], "Success": True, "Message": None}
        if endpoint == "payments/list":
            day = params.get("Date", "")
            return {
                "Model": [t for t in self.transactions if t["CreatedDateIso"].startswith(day)],
                "Success": True,
                "Message": None,
            }
        return {"Success": False, "Message": f"Unknown method {endpoint}"}

    def _json(self, handler: BaseHTTPRequestHandler, data: dict[str, Any]) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(handler, 200, body, "application/json; charset=utf-8")

    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", ctype)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
