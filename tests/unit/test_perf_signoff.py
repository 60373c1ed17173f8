from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.signoff import (
    acknowledge,
    canonical_json,
    content_hash,
    is_current,
    is_signed_off,
    missing_signoffs,
)

NOW = datetime(2026, 4, 20, 10, tzinfo=UTC)
RESULT = {"cycle": "q1", "userid": "ann", "total": Decimal("92.50"), "grade": "A"}


def test_hash_is_stable_regardless_of_key_order():
    reordered = {"grade": "A", "total": Decimal("92.50"), "userid": "ann", "cycle": "q1"}
    assert content_hash(RESULT) == content_hash(reordered)
    assert canonical_json(RESULT) == '{"cycle":"q1","grade":"A","total":"92.50","userid":"ann"}'


def test_acknowledgement_records_signer_time_and_hash():
    ack = acknowledge(RESULT, "q1", "ann", "ann", NOW)
    assert (ack.signer_userid, ack.signed_at, ack.content_hash) == ("ann", NOW, content_hash(RESULT))


def test_employee_signs_only_their_own_result():
    with pytest.raises(ValidationError, match="cannot acknowledge"):
        acknowledge(RESULT, "q1", "ann", "bob", NOW)


def test_a_changed_result_invalidates_the_signature():
    ack = acknowledge(RESULT, "q1", "ann", "ann", NOW)
    changed = RESULT | {"total": Decimal("93.00")}
    assert is_current(ack, RESULT) and not is_current(ack, changed)
    assert not is_signed_off([ack], changed)


def test_sign_off_chain_lists_missing_roles():
    ack = acknowledge(RESULT, "q1", "ann", "ann", NOW)
    assert missing_signoffs([ack], RESULT, ("employee", "manager")) == ("manager",)
    mgr = acknowledge(RESULT, "q1", "ann", "mia", NOW, role="manager")
    assert is_signed_off([ack, mgr], RESULT, ("employee", "manager"))


def test_naive_signing_time_is_rejected():
    with pytest.raises(ValidationError, match="timezone-aware"):
        acknowledge(RESULT, "q1", "ann", "ann", datetime(2026, 4, 20))
