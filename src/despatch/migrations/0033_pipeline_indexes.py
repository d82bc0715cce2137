"""Indexes the order pipeline and the orders list need at a million stored orders (measured
by bench/scale.py; docs/benchmarks.md has the figures)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0032_reference_version"),
    ]

    operations = [
        # Fraud screening counts a customer's earlier orders at every validation by the email
        # compared without case (lower(email) = ...); without this index that is a scan of
        # every order ever stored (measured by bench/scale.py at a million orders).
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                django.db.models.functions.text.Lower("customer_email"),
                models.F("created_at"),
                name="order_email_lower",
            ),
        ),
        # The orders list filtered by external ID alone (the unique key starts with the
        # channel, so it cannot serve it).
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["external_id"], name="order_external_id"),
        ),
        # The orders list filtered by SKU joins the lines by SKU.
        migrations.AddIndex(
            model_name="orderline",
            index=models.Index(fields=["sku"], name="order_line_sku"),
        ),
    ]
