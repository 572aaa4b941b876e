"""The invoice document: HTML from a template, PDF by WeasyPrint with the bundled font."""

from __future__ import annotations

import atexit
import gc
import logging
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.units import unit_label
from invoices.models import Invoice, SellerProfile
from invoices.words import amount_in_words
from orders.models import Customer, Order

logger = logging.getLogger(__name__)

FONTS_DIR = Path(__file__).resolve().parent / "fonts"


@lru_cache(maxsize=1)
def _font_config():
    # One per process: WeasyPrint caches the parsed font files in it, which is most of
    # what makes a warm render fast. It removes its temporary folder when collected: let
    # that happen at exit while the interpreter is still whole (after the stylesheets
    # that hold it, registered later, so cleared first).
    from weasyprint.text.fonts import FontConfiguration

    atexit.register(_font_config.cache_clear)
    return FontConfiguration()


# The <style> element of a rendered document (the templates keep their CSS beside the HTML).
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@lru_cache(maxsize=16)
def _stylesheet(css: str):
    """The stylesheet parsed once per process (its fonts registered in the shared font
    configuration); each template's CSS is the same text render after render."""
    from weasyprint import CSS

    stylesheet = CSS(string=css, base_url=str(FONTS_DIR), font_config=_font_config())
    atexit.register(_stylesheet.cache_clear)
    return stylesheet


def pdf_from_html(html: str) -> bytes:
    """A PDF of a document rendered from our templates: its stylesheet taken out of the
    HTML and given to WeasyPrint parsed (parsing it again each time was a sixth of a
    one-page render), with the process's fonts."""
    from weasyprint import HTML

    styles = _STYLE.findall(html)
    body = _STYLE.sub("", html)
    stylesheets = [_stylesheet(css) for css in styles]
    return HTML(string=body, base_url=str(FONTS_DIR)).write_pdf(
        stylesheets=stylesheets, font_config=_font_config()
    )


def invoice_context(invoice: Invoice, seller: SellerProfile | None = None) -> dict[str, object]:
    lines = [
        {
            **line,
            "unit": unit_label(line.get("unit", "")),
            "quantity": Decimal(line["quantity"]),
            "price": Decimal(line["price"]),
            "discount": Decimal(line["discount"]),
            "amount": Decimal(line["amount"]),
        }
        for line in invoice.lines
    ]
    return {
        "invoice": invoice,
        "order": invoice.order,
        "customer": invoice.order.customer,
        "buyer": invoice.buyer,
        "seller": seller or SellerProfile.load(),
        "lines": lines,
        "lines_total": sum((line["amount"] for line in lines), Decimal("0.00")),
        "amount_in_words": amount_in_words(invoice.amount, invoice.currency),
        "font_regular": (FONTS_DIR / "DejaVuSans.ttf").as_uri(),
        "font_bold": (FONTS_DIR / "DejaVuSans-Bold.ttf").as_uri(),
    }


def invoice_render_html(invoice: Invoice, seller: SellerProfile | None = None) -> str:
    with translation.override(invoice.order.customer.language or "ru"):
        return render_to_string("invoices/pdf/invoice.html", invoice_context(invoice, seller))


def invoice_render_pdf_bytes(invoice: Invoice, seller: SellerProfile | None = None) -> bytes:
    return pdf_from_html(invoice_render_html(invoice, seller))


def renderer_warm() -> None:
    """Make this process a warm PDF renderer: load the fonts and WeasyPrint's caches by
    rendering a sample invoice (no database needed), then freeze what is on the heap.

    Frozen objects (Django, the templates, the parsed fonts) are left out of the cyclic
    garbage collector's full passes, which otherwise scan all of them every few renders and
    double that render's time. Called once per Celery worker process."""

    customer = Customer(name="Образец", company="ООО «Образец»", language="ru")
    order = Order(number="0000-000000", customer=customer)
    line = {
        "name": "Образец",
        "sku": "",
        "unit": "шт",
        "quantity": "1",
        "price": "1.00",
        "discount": "0.00",
        "amount": "1.00",
        "is_delivery": False,
    }
    invoice = Invoice(
        number="0000-000000-1",
        order=order,
        amount=Decimal("1.00"),
        order_total=Decimal("1.00"),
        paid_before=Decimal("0.00"),
        issued_at=timezone.now(),
        due_date=timezone.localdate(),
        lines=[line],
    )
    invoice_render_pdf_bytes(invoice, SellerProfile(name="Образец"))
    gc.collect()
    gc.freeze()
    # What is frozen is collected at exit again (the font configuration among it).
    atexit.register(gc.unfreeze)


def invoice_pdf_store(invoice_id: int) -> bool:
    """Render the current version of the invoice and store it; False when there was
    nothing to do (already current) or a newer version overtook this render."""
    invoice = Invoice.objects.select_related("order__customer").get(pk=invoice_id)
    version = invoice.content_version
    if invoice.pdf and invoice.pdf_version >= version:
        return False
    logger.info("rendering the PDF of invoice %s (version %s)", invoice.number, version)
    content = invoice_render_pdf_bytes(invoice)
    return pdf_version_save(
        Invoice,
        invoice_id,
        version_field="content_version",
        version=version,
        file_name=f"{invoice.number}-v{version}.pdf",
        content=content,
    )


def pdf_version_save(
    model: type[models.Model],
    pk: int,
    *,
    version_field: str,
    version: int,
    file_name: str,
    content: bytes,
) -> bool:
    """Store a rendered PDF of `version` on a record with the fields pdf, pdf_version,
    pdf_rendered_at and pdf_error (an invoice, a closing document), under the row's lock;
    False when a newer version overtook the render or this one is already stored. The file
    it replaces is deleted once the change is committed."""
    with transaction.atomic():
        locked: Any = model._default_manager.select_for_update().get(pk=pk)
        if getattr(locked, version_field) != version or (
            locked.pdf and locked.pdf_version >= version
        ):
            return False
        old = locked.pdf.name if locked.pdf else ""
        locked.pdf.save(file_name, ContentFile(content), save=False)
        locked.pdf_version = version
        locked.pdf_rendered_at = timezone.now()
        locked.pdf_error = ""
        locked.save(update_fields=["pdf", "pdf_version", "pdf_rendered_at", "pdf_error"])
        if old and old != locked.pdf.name:
            storage = locked.pdf.storage
            transaction.on_commit(lambda: storage.delete(old))
    return True


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The current PDF for a download; rendered now when the worker has not got to it."""
    if not invoice.pdf_is_current:
        invoice_pdf_store(invoice.pk)
        invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        return handle.read()
