"""Permissions and scopes: the finance role, token scopes, expiry and revocation, and each
user's scope and refund approval limit."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def create_finance(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="finance")


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0019_audit_chain"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(create_finance, migrations.RunPython.noop),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.CreateModel(
            name="StaffAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("scopes", models.JSONField(blank=True, default=list)),
                (
                    "refund_limit",
                    models.DecimalField(blank=True, decimal_places=4, max_digits=14, null=True),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="despatch_access",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
