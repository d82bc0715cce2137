"""The orders list at a million orders (bench/scale.py; figures in docs/benchmarks.md).

- A channel's orders newest first: without (channel, created_at) the list scanned the date
  index and filtered, or sorted every order of the channel.
- Search (``q``: order ID, external ID, customer name or email, anywhere in the text) read every
  order stored: 1.8 s at 200,000 orders on SQLite. Substring search needs trigram indexes:
  on PostgreSQL ``pg_trgm`` GIN indexes on exactly the expressions the ORM's ``icontains``
  compares (``UPPER(col::text)``); on SQLite an FTS5 table with the trigram tokenizer, kept by
  triggers, that ``services.orders.list_orders`` asks for search terms of 3 characters or more.
  Where the extension or FTS5 is missing the search still works, by scanning.

On SQLite the FTS5 table follows the orders by rowid, and the triggers live on the orders
table: a later migration that makes Django rebuild ``despatch_order`` on SQLite (altering or
removing a column) drops the triggers and renumbers rows, so it must call ``_forward`` of this
migration again after its change (drop the FTS table first).
"""

from django.db import migrations, models

SEARCHED = ("id", "external_id", "customer_name", "customer_email")


def _forward(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
            if cursor.fetchone() is None:
                return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for col in SEARCHED:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS order_search_{col} ON despatch_order"
                f' USING gin ((UPPER("{col}"::text)) gin_trgm_ops)'
            )
    elif conn.vendor == "sqlite":
        cols = ", ".join(SEARCHED)
        new = ", ".join(f"new.{c}" for c in SEARCHED)
        old = ", ".join(f"old.{c}" for c in SEARCHED)
        delete = (
            f"INSERT INTO despatch_order_search(despatch_order_search, rowid, {cols})"
            f" VALUES ('delete', old.rowid, {old});"
        )
        insert = f"INSERT INTO despatch_order_search(rowid, {cols}) VALUES (new.rowid, {new});"
        for sql in (
            f"CREATE VIRTUAL TABLE despatch_order_search USING fts5({cols},"
            " content='despatch_order', content_rowid='rowid', tokenize='trigram')",
            f"CREATE TRIGGER despatch_order_search_ai AFTER INSERT ON despatch_order"
            f" BEGIN {insert} END",
            f"CREATE TRIGGER despatch_order_search_ad AFTER DELETE ON despatch_order"
            f" BEGIN {delete} END",
            f"CREATE TRIGGER despatch_order_search_au AFTER UPDATE OF {cols} ON despatch_order"
            f" BEGIN {delete} {insert} END",
            "INSERT INTO despatch_order_search(despatch_order_search) VALUES ('rebuild')",
        ):
            schema_editor.execute(sql)


def _backward(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        for col in SEARCHED:
            schema_editor.execute(f"DROP INDEX IF EXISTS order_search_{col}")
    elif conn.vendor == "sqlite":
        for name in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS despatch_order_search_{name}")
        schema_editor.execute("DROP TABLE IF EXISTS despatch_order_search")


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0033_pipeline_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["channel", "created_at"], name="order_channel_created"),
        ),
        migrations.RunPython(_forward, _backward),
    ]
