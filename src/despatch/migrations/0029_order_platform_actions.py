"""Orders keep each cancellation and refund sent to their platform, with its answer."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0028_order_exchange_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="platform_actions",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="cancellations and refunds sent to the platform, each with its answer",
            ),
        ),
    ]
