import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_task_title_msg"),
    ]

    operations = [
        migrations.CreateModel(
            name="Work",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("task", models.CharField(max_length=200, verbose_name="task")),
                ("key", models.CharField(max_length=64, verbose_name="key")),
                ("args", models.JSONField(default=list, verbose_name="arguments")),
                (
                    "attempts",
                    models.PositiveSmallIntegerField(default=0, verbose_name="failed attempts"),
                ),
                (
                    "next_attempt_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="next attempt"),
                ),
                ("last_error", models.TextField(blank=True, verbose_name="last error")),
                (
                    "failed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="failed for good"),
                ),
                (
                    "reported_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="reported"),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
                ),
            ],
            options={
                "verbose_name": "background work",
                "verbose_name_plural": "background work",
                "ordering": ["-failed_at", "next_attempt_at", "id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("failed_at__isnull", True)),
                        fields=["next_attempt_at"],
                        name="work_due_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("task", "key"), name="work_unique")
                ],
            },
        ),
        migrations.AddIndex(
            model_name="timelineevent",
            index=models.Index(
                condition=models.Q(("notification_status", "queued")),
                fields=["created_at"],
                name="event_email_queued_idx",
            ),
        ),
    ]
