"""The project's settings plus one trivial view, to measure against on the same server."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
