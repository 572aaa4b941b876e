from invoices.checks import invoice_settings_check


def test_it_refuses_a_vat_rate_that_is_not_a_rate(settings):
    settings.INVOICE_VAT_RATE = "двадцать"
    assert [e.id for e in invoice_settings_check(None)] == ["invoices.E001"]
    settings.INVOICE_VAT_RATE = "20"
    assert invoice_settings_check(None) == []


def test_it_wants_both_cloudpayments_keys(settings):
    settings.CLOUDPAYMENTS_PUBLIC_ID = "pk_1"
    settings.CLOUDPAYMENTS_API_SECRET = ""
    assert [e.id for e in invoice_settings_check(None)] == ["invoices.E002"]
