"""Invoice PDFs live wherever STORAGES["default"] says: this machine's disk, or a bucket
that every web node and worker shares. The code reaches them only through the storage."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage

from tests.invoices.conftest import make_order
from tests.invoices.harness import ROOT


@pytest.fixture
def storage_in_memory(settings, tmp_path):
    """A storage that keeps its files in memory: none is on disk at its path."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return settings.MEDIA_ROOT


def test_an_invoice_pdf_is_rendered_served_and_emailed_from_a_storage_without_paths(
    storage_in_memory,
    catalogue,
    staff,
    seller,
    manager,
    client,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()

    assert invoice.pdf_is_current
    assert default_storage.exists(invoice.pdf.name)
    # Nothing was written to disk, so any code that opened a file by its path would fail.
    assert not storage_in_memory.exists()
    with default_storage.open(invoice.pdf.name) as handle:
        stored = handle.read()
    assert stored.startswith(b"%PDF")

    [mail] = [m for m in mailoutbox if invoice.number in m.body]
    assert mail.attachments[0][0] == f"{invoice.number}.pdf"
    assert mail.attachments[0][1] == stored

    client.force_login(manager)
    response = client.get(f"/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert response.content == stored
    client.logout()
    response = client.get(urlsplit(invoice.public_url).path + "pdf/")
    assert response.status_code == 200
    assert response.content == stored


def _storage_in_subprocess(**env: str) -> subprocess.CompletedProcess:
    script = (
        "import django; django.setup()\n"
        "from django.core.files.storage import default_storage as s\n"
        "url = s.url('invoices/2026/0001-000001-1-v1.pdf')\n"
        "print(type(s._wrapped).__name__, url)\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_"))}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )


def test_a_bucket_name_puts_media_in_s3_compatible_storage_behind_signed_links():
    result = _storage_in_subprocess(
        AWS_STORAGE_BUCKET_NAME="conveyor-media",
        AWS_S3_ENDPOINT_URL="https://storage.yandexcloud.net",
        AWS_S3_REGION_NAME="ru-central1",
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="not-a-real-secret",
    )
    assert result.returncode == 0, result.stderr
    backend, url = result.stdout.split()
    assert backend == "S3Storage"
    assert url.startswith(
        "https://storage.yandexcloud.net/conveyor-media/invoices/2026/0001-000001-1-v1.pdf?"
    )
    # Invoices are private: a link to one is signed and expires.
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=3600" in url
    assert "ru-central1" in url


def test_without_a_bucket_media_stay_on_this_machine():
    result = _storage_in_subprocess(MEDIA_ROOT="/srv/conveyor/media")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "FileSystemStorage"


def test_s3_storage_without_a_bucket_name_refuses_to_start():
    result = _storage_in_subprocess(STORAGE_BACKEND="s3")
    assert result.returncode != 0
    assert "Environment variable AWS_STORAGE_BUCKET_NAME is required." in result.stderr
