"""Orders keep the billing address the platform gave (empty when it gave none)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0026_delivery_repeats"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="billing_address",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="as the platform gave it; empty when it gave none",
            ),
        ),
    ]
