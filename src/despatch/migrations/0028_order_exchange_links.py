"""A replacement order (an exchange) names the order it replaces and the return it answers."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0027_order_billing_address"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="replaces",
            field=models.CharField(
                blank=True,
                db_index=True,
                default="",
                help_text="exchanges: the order",
                max_length=40,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="exchange_rma",
            field=models.CharField(
                blank=True, default="", help_text="exchanges: the return it answers", max_length=40
            ),
        ),
    ]
