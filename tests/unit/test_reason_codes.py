"""The documented reason codes of manual actions."""

import pytest

from despatch.domain.cancellations import CancelReason
from despatch.domain.errors import ValidationFailed
from despatch.domain.reasons import ALLOWED, DEFAULT, MEANING, ManualAction, ReasonCode, read_reason


def test_every_code_is_explained_and_every_default_is_allowed():
    assert set(MEANING) == set(ReasonCode)
    for action in ManualAction:
        assert DEFAULT[action] in ALLOWED[action]


def test_the_cancel_reasons_are_the_cancel_codes_of_the_list():
    assert {r.value for r in CancelReason} == {c.value for c in ALLOWED[ManualAction.CANCEL]}


def test_no_code_is_a_default_when_empty_and_a_wrong_one_names_the_field_and_the_choices():
    assert read_reason(ManualAction.RELEASE, "") == ReasonCode.CHECKED_OK
    assert read_reason(ManualAction.HOLD, "fraud") == ReasonCode.FRAUD
    with pytest.raises(ValidationFailed) as caught:
        read_reason(ManualAction.ADJUST_STOCK, "fraud", "reason_code")
    error = caught.value.errors[0]
    assert error.field == "reason_code" and "count_correction" in error.hint
