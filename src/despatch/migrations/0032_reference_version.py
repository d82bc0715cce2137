"""The reference-data version: one row whose token a trigger changes with every write to the
tables the pipeline caches per process (channels, warehouses and their calendars, SKUs, rule
sets, webhook subscriptions, and which SKUs channels list). A trigger, not the services,
so that every writer is covered: the services, the admin, a test's ORM call, a hand-made SQL
fix. The change is part of the writing transaction, so a process sees it at its next order and
never before the change is committed."""

from django.db import migrations, models

# table -> the writes that change what the pipeline caches from it
WATCHED = {
    "despatch_channel": "INSERT OR UPDATE OR DELETE",
    "despatch_warehouse": "INSERT OR UPDATE OR DELETE",
    "despatch_sku": "INSERT OR UPDATE OR DELETE",
    "despatch_rulesetversion": "INSERT OR UPDATE OR DELETE",
    "despatch_webhooksubscription": "INSERT OR UPDATE OR DELETE",
    "despatch_channellisting": "INSERT OR DELETE",  # published figures change all the time
}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION despatch_reference_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO despatch_referenceversion (id, token)
    VALUES (1, floor(random() * 9e15)::bigint)
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

# SQLite: no UPSERT inside a trigger whose outer statement may say OR IGNORE, so update the row
# and insert it only when it is missing.
SQLITE_BODY = (
    "UPDATE despatch_referenceversion SET token = abs(random()) WHERE id = 1; "
    "INSERT INTO despatch_referenceversion (id, token) SELECT 1, abs(random()) "
    "WHERE NOT EXISTS (SELECT 1 FROM despatch_referenceversion WHERE id = 1);"
)


def _triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table, events in WATCHED.items():
            schema_editor.execute(
                f"CREATE TRIGGER {table}_reference AFTER {events} OR TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION despatch_reference_changed()"
            )
    elif vendor == "sqlite":
        for table, events in WATCHED.items():
            for event in events.split(" OR "):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_reference_{event.lower()} AFTER {event} ON {table}"
                    f" BEGIN {SQLITE_BODY} END"
                )
    schema_editor.execute(
        "INSERT INTO despatch_referenceversion (id, token) VALUES (1, 1)"
        " ON CONFLICT (id) DO NOTHING"
    )


def _drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, events in WATCHED.items():
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_reference ON {table}")
        elif vendor == "sqlite":
            for event in events.split(" OR "):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_reference_{event.lower()}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS despatch_reference_changed()")


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0031_merge_0030"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceVersion",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("token", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(_triggers, _drop),
    ]
