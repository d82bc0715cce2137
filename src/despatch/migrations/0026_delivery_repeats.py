"""A repeated delivery is kept as its own row (status duplicate) naming the one it repeated:
the delivery ID stays unique among the deliveries that are not repeats."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0025_order_paid_at"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="channeldelivery",
            name="delivery_once_per_channel",
        ),
        migrations.AddField(
            model_name="channeldelivery",
            name="repeats",
            field=models.ForeignKey(
                blank=True,
                help_text="the delivery this one repeated (a duplicate, or an event applied "
                "already)",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                db_constraint=False,
                related_name="repeated_by",
                to="despatch.channeldelivery",
            ),
        ),
        migrations.AddConstraint(
            model_name="channeldelivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("repeats__isnull", True)),
                fields=("channel", "delivery_id"),
                name="delivery_once_per_channel",
            ),
        ),
    ]
