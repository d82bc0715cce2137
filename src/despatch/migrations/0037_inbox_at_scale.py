"""The inbox's SKU filter and search at a million orders (bench/scale.py; figures in
docs/benchmarks.md).

The inbox finds orders by a SKU in any case (``UPPER(sku) = UPPER(...)``), which the plain
SKU index of migration 0033 cannot serve: every line was read (3.6 s at 200,000 orders on
SQLite). This index is on exactly that expression, with the order's ID so that the lines'
orders are read from the index alone.

On PostgreSQL the orders found by ID (a SKU's, a search's: thousands at a million orders) are
sorted newest first for the page: with ``created_at`` carried in an index on the ID, that sort
reads the index alone, not each order's row (55 ms for a SKU's 2,000 orders at 200,000, 19 ms
with it). SQLite keeps no non-key columns in an index, so this one is PostgreSQL's alone, made
here rather than in the model (as migration 0034's trigram indexes are).
"""

import django.db.models.functions.text
from django.db import migrations, models


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS order_id_created"
            " ON despatch_order (id) INCLUDE (created_at)"
        )


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS order_id_created")


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0036_pick_list_picker"),
    ]

    operations = [
        migrations.RunPython(_forward, _backward),
        migrations.AddIndex(
            model_name="orderline",
            index=models.Index(
                django.db.models.functions.text.Upper("sku"),
                models.F("order_id"),
                name="order_line_sku_upper",
            ),
        ),
    ]
