"""The OpenAPI document and the docs page the web shop's and accounting's programmers read."""

from __future__ import annotations

import re


def test_the_openapi_document_describes_every_operation_with_its_scope_and_errors(client, db):
    document = client.get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) == {
        ("POST", "/api/v1/orders/"),
        ("GET", "/api/v1/orders/{number}/"),
        ("POST", "/api/v1/payments/"),
    }
    intake = operations[("POST", "/api/v1/orders/")]
    assert "`intake` scope" in intake["description"]
    assert {"200", "201", "400", "401", "403", "413"} <= set(intake["responses"])
    assert "`accounting` scope" in operations[("POST", "/api/v1/payments/")]["description"]
    assert "`read` scope" in operations[("GET", "/api/v1/orders/{number}/")]["description"]
    schemas = document["components"]["schemas"]
    assert schemas["IntakeIn"]["examples"][0]["external_id"] == "shop-1001"
    assert schemas["LineIn"]["properties"]["sku"]["maxLength"] == 64
    assert document["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_the_docs_page_runs_only_our_own_script_files(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    sources = [re.search(r'src="([^"]+)"', attrs) for attrs, _body in scripts]
    assert [s.group(1) for s in sources if s] == [
        "/static/ninja/swagger-ui-bundle.js",
        "/static/ninja/swagger-ui-init.js",
    ]
    # The one script without a file is data, which no browser executes.
    assert [
        attrs.strip() for (attrs, _body), src in zip(scripts, sources, strict=True) if not src
    ] == ['type="application/json" id="swagger-settings"']
    assert "/api/v1/openapi.json" in html


def test_the_openapi_document_describes_the_buyer_and_its_requisites(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    intake = schemas["IntakeIn"]
    assert "buyer" in intake["properties"] and "buyer" not in intake["required"]
    buyer = schemas["BuyerIn"]["properties"]
    assert set(buyer) == {"kind", "name", "inn", "kpp", "ogrn", "legal_address", "bank"}
    assert "same customer" in intake["properties"]["buyer"]["description"]
    assert "check digits are verified" in buyer["inn"]["description"]
    assert set(schemas["BankIn"]["properties"]) == {
        "name",
        "bik",
        "account",
        "correspondent_account",
    }
    company = intake["examples"][1]["buyer"]
    assert (company["kind"], company["inn"], company["kpp"]) == (
        "company",
        "7707083893",
        "773601001",
    )
