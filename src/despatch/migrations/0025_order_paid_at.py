"""Orders keep when the customer paid and the channel's own ship-by time: promises start from
the customer's time, and the stored ship-by is never later than the channel's."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("despatch", "0022_exact_deliveries")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="paid_at",
            field=models.DateTimeField(
                blank=True, help_text="when the customer paid, as the channel says", null=True
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="channel_ship_by",
            field=models.DateTimeField(
                blank=True, help_text="the channel's own latest ship time", null=True
            ),
        ),
    ]
