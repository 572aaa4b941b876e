import django.db.models.deletion
from django.db import migrations, models

from production.summaries import margin_days_fill


def fill(apps, schema_editor) -> None:
    """The roll-up of the lines made so far: one INSERT … SELECT on PostgreSQL
    (production.summaries.DAYS_REBUILD), the same figures computed in Python elsewhere."""
    margin_days_fill(
        line_model=apps.get_model("orders", "OrderLine"),
        day_model=apps.get_model("production", "MarginDay"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0004_product_vat_rate"),
        ("orders", "0014_open_task_kind_department_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="MarginDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                (
                    "quantity",
                    models.DecimalField(
                        decimal_places=3, default=0, max_digits=20, verbose_name="quantity"
                    ),
                ),
                (
                    "revenue",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=20, verbose_name="revenue"
                    ),
                ),
                (
                    "cost",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=20, verbose_name="cost"
                    ),
                ),
                ("lines", models.IntegerField(default=0, verbose_name="lines")),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="production.product",
                        verbose_name="product",
                    ),
                ),
            ],
            options={
                "verbose_name": "margin of a day",
                "verbose_name_plural": "margin by day",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "product"), name="margin_day_product_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
