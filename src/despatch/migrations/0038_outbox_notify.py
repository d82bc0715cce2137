"""PostgreSQL: every INSERT into the outbox sends ``NOTIFY despatch_outbox`` (delivered when the
inserting transaction commits), so an idle worker LISTENing wakes at once instead of at its
next poll (services/wakeup.py). One notification a statement, not a row; PostgreSQL folds the
same notification sent twice in a transaction into one. SQLite has no notifications: its
workers read ``PRAGMA data_version`` instead, so nothing is made there."""

from django.db import migrations

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION despatch_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('despatch_outbox', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def _trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        schema_editor.execute(
            "CREATE TRIGGER despatch_outboxevent_notify AFTER INSERT ON despatch_outboxevent"
            " FOR EACH STATEMENT EXECUTE FUNCTION despatch_outbox_notify()"
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS despatch_outboxevent_notify ON despatch_outboxevent"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS despatch_outbox_notify()")


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0037_inbox_at_scale"),
    ]

    operations = [
        migrations.RunPython(_trigger, _drop),
    ]
