"""Hash-chain the audit trail: a sequence number and hashes on every entry, and the chain head.

Entries written before this migration are chained here in (at, id) order.
"""

from django.db import migrations, models

from despatch.domain import audit as chain

BATCH = 1000


def chain_existing(apps, schema_editor):
    entry_model = apps.get_model("despatch", "AuditEntry")
    head_model = apps.get_model("despatch", "AuditHead")
    db = schema_editor.connection.alias
    names = [name for name in chain.FIELDS if name != "seq"]
    rows = entry_model.objects.using(db).order_by("at", "id").values_list(*names)
    prev, seq, batch = chain.GENESIS, 0, []
    for values in rows.iterator(chunk_size=BATCH):
        seq += 1
        content = dict(zip(names, values, strict=True), seq=seq)
        digest = chain.link_hash(content, prev)
        batch.append(entry_model(id=content["id"], seq=seq, prev_hash=prev, hash=digest))
        prev = digest
        if len(batch) >= BATCH:
            entry_model.objects.using(db).bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    entry_model.objects.using(db).bulk_update(batch, ["seq", "prev_hash", "hash"])
    head_model.objects.using(db).create(id=1, seq=seq, hash=prev)


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0018_pick_task_cancelled"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
            ],
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(unique=True),
        ),
        migrations.AlterModelOptions(
            name="auditentry",
            options={"ordering": ["seq"]},
        ),
    ]
