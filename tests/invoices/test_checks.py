from invoices.checks import invoice_settings_check, pdf_renderer_check


def test_it_refuses_a_vat_rate_that_is_not_a_rate(settings):
    settings.INVOICE_VAT_RATE = "двадцать"
    assert [e.id for e in invoice_settings_check(None)] == ["invoices.E001"]
    settings.INVOICE_VAT_RATE = "20"
    assert invoice_settings_check(None) == []


def test_it_wants_both_cloudpayments_keys(settings):
    settings.CLOUDPAYMENTS_PUBLIC_ID = "pk_1"
    settings.CLOUDPAYMENTS_API_SECRET = ""
    assert [e.id for e in invoice_settings_check(None)] == ["invoices.E002"]


def test_it_warns_when_pdfs_would_subset_fonts_the_slow_way(monkeypatch):
    import weasyprint.text.ffi

    monkeypatch.setattr(weasyprint.text.ffi, "harfbuzz_subset", None)
    problems = pdf_renderer_check(None)
    assert [p.id for p in problems] == ["invoices.W002"]
    assert "libharfbuzz-subset0" in problems[0].hint
