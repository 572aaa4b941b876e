from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from pipeline.graph import pipeline_mermaid


class Command(BaseCommand):
    help = "Write docs/pipeline.md, the funnel diagram, from Order.stage's transitions."

    def handle(self, *args, **options) -> None:
        path = Path(settings.BASE_DIR) / "docs" / "pipeline.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(pipeline_mermaid(), encoding="utf-8")
        self.stdout.write(f"Wrote {path}")
