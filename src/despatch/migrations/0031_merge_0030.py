"""Two migrations were numbered 0030 on separate branches (notification templates and the
write-back references); this joins them so the graph has one leaf again. Nothing changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0030_notification_templates"),
        ("despatch", "0030_write_back_references"),
    ]

    operations: list[migrations.operations.base.Operation] = []
