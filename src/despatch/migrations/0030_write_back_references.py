"""Write-back: the platform's answer on each shipment, the platform's references on each order."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0029_order_platform_actions"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="channel_refs",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="the platform's own references (marketplace, address)",
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="channel_reference",
            field=models.CharField(
                blank=True,
                default="",
                help_text="the platform's ID of what it was told",
                max_length=128,
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="channel_outcome",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="shipment",
            name="channel_error",
            field=models.TextField(blank=True, default=""),
        ),
    ]
