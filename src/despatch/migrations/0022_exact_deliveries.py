"""Channel deliveries keep the bytes received, and an event ID applies once per channel
(a unique key instead of a check before applying)."""

from django.db import migrations, models


def claim_applied_events(apps, schema_editor):
    """The first processed delivery of each (channel, event ID) is the one that applied it."""
    delivery = apps.get_model("despatch", "ChannelDelivery")
    seen = set()
    rows = (
        delivery.objects.filter(status="processed")
        .exclude(event_id="")
        .exclude(outcome="duplicate_event")
        .order_by("id")
        .values_list("id", "channel_id", "event_id")
    )
    for pk, channel, event in rows.iterator():
        if (channel, event) not in seen:
            seen.add((channel, event))
            delivery.objects.filter(pk=pk).update(applied_event=event)


class Migration(migrations.Migration):
    dependencies = [("despatch", "0024_order_totals")]

    operations = [
        migrations.AddField(
            model_name="channeldelivery",
            name="raw_body",
            field=models.BinaryField(help_text="the body exactly as the bytes received", null=True),
        ),
        migrations.AddField(
            model_name="channeldelivery",
            name="applied_event",
            field=models.CharField(
                blank=True,
                default=None,
                help_text="the event ID this delivery applied: unique per channel, so an event "
                "applies once",
                max_length=128,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="channeldelivery",
            name="body",
            field=models.TextField(help_text="the body as text (UTF-8, unreadable bytes replaced)"),
        ),
        migrations.RunPython(claim_applied_events, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="channeldelivery",
            constraint=models.UniqueConstraint(
                fields=("channel", "applied_event"), name="event_applied_once_per_channel"
            ),
        ),
    ]
