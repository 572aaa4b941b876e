"""The closing documents' PDFs: HTML from documents/templates/documents/pdf/<kind>.html,
drawn from the frozen content, by WeasyPrint with the invoices' bundled font."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from documents.models import ClosingDocument

# The invoices' font configuration: one per process, warmed by invoices.pdf.renderer_warm
# in each worker, so a closing document renders as fast as an invoice.
from invoices.pdf import FONTS_DIR, pdf_from_html, pdf_version_save
from invoices.words import amount_in_words, plural

logger = logging.getLogger(__name__)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def document_context(document: ClosingDocument) -> dict[str, Any]:
    content = document.content
    lines = [
        {
            **line,
            **{name: _decimal(line[name]) for name in ("quantity", "price", "net", "tax", "gross")},
        }
        for line in content["lines"]
    ]
    for line in lines:
        # The act prints prices as the client paid them, VAT included.
        quantity = line["quantity"] or Decimal(1)
        line["gross_price"] = (line["gross"] / quantity).quantize(Decimal("0.01"))
    totals = {name: _decimal(value) for name, value in content["totals"].items()}
    count = len(lines)
    return {
        "document": document,
        "seller": content["seller"],
        "buyer": content["buyer"],
        "content": content,
        "lines": lines,
        "totals": totals,
        "vat_label": vat_label(document.vat_rate),
        "items_count": f"{count} {plural(count, ITEMS)}",
        "total_in_words": amount_in_words(totals["gross"] or Decimal("0"), document.currency),
        # In the middle of a sentence: "…, в том числе НДС: пять тысяч…".
        "tax_in_words": lowercase_first(
            amount_in_words(totals["tax"], document.currency) if totals["tax"] is not None else ""
        ),
        "font_regular": (FONTS_DIR / "DejaVuSans.ttf").as_uri(),
        "font_bold": (FONTS_DIR / "DejaVuSans-Bold.ttf").as_uri(),
    }


ITEMS = ("наименование", "наименования", "наименований")


def lowercase_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def vat_label(rate: Decimal | None) -> str:
    """What the "tax rate" column prints: «20%», or «без НДС» for a seller without VAT."""
    if rate is None:
        return "без НДС"
    return f"{rate.normalize():f}%"


def document_render_html(document: ClosingDocument) -> str:
    # A Russian document by law: dates, numbers and words in Russian whoever reads it.
    with translation.override("ru"):
        return render_to_string(f"documents/pdf/{document.kind}.html", document_context(document))


def document_render_pdf_bytes(document: ClosingDocument) -> bytes:
    return pdf_from_html(document_render_html(document))


def document_pdf_store(document_id: int) -> bool:
    """Render the document's current version and store it; False when there was nothing
    to do (already current) or a regeneration overtook this render."""
    document = ClosingDocument.objects.get(pk=document_id)
    version = document.version
    if document.pdf and document.pdf_version >= version:
        return False
    logger.info("rendering closing document %s (version %s)", document.pk, version)
    content = document_render_pdf_bytes(document)
    return pdf_version_save(
        ClosingDocument,
        document_id,
        version_field="version",
        version=version,
        file_name=document.file_name.replace(".pdf", f"-v{version}.pdf"),
        content=content,
    )


def document_pdf_bytes(document: ClosingDocument) -> bytes | None:
    """The stored PDF of the document's current version; None while the worker has not
    rendered it yet (a download never renders in the request)."""
    if not document.pdf_is_current:
        return None
    with document.pdf.open("rb") as handle:
        return handle.read()
