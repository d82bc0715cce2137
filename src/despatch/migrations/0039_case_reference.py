"""Exception cases gain ``reference``: the platform's own reference of what a case waits on (the
eBay cancellation request a ``cancel_requested`` case holds for). Why: a request already put to
a person was found again by matching the case's summary text, which breaks as soon as the
wording changes; the typed field is matched instead. Existing cases keep an empty reference
(an old open request case is matched by kind while open, as before)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("despatch", "0038_outbox_notify")]

    operations = [
        migrations.AddField(
            model_name="exceptioncase",
            name="reference",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
    ]
