"""Orders keep the total computed from their parts beside the platform's own total; lines keep
their exact total and the platform's line ID."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("despatch", "0020_permissions")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="computed_total",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                help_text="the order's parts added up, when the platform states a total to check",
                max_digits=18,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="total_amount",
            field=models.DecimalField(
                decimal_places=4,
                help_text="what the customer paid, as the platform states it",
                max_digits=18,
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="line_total",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                help_text="the exact line total (one given by its total keeps it: 18.33 for 2)",
                max_digits=18,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="external_line_id",
            field=models.CharField(
                blank=True, default="", help_text="the platform's own ID of the line", max_length=64
            ),
        ),
    ]
