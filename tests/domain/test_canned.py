from uuid import uuid4

import pytest

from domain.canned import CannedReplies, CannedReplyNotFound
from tests.domain.gwt import given, then, when


def test_canned_replies_are_added_used_and_removed():
    canned = given(CannedReplies, (CannedReplies.Opened, {}))
    reply_id = uuid4()
    then(
        when(canned, lambda c: c.add(reply_id, "发票", "请在小程序里申请发票。")),
        (CannedReplies.Added, {"title": "发票"}),
    )
    assert canned.text_of(reply_id) == "请在小程序里申请发票。"
    then(when(canned, lambda c: c.remove(reply_id)), (CannedReplies.Removed, {}))
    with pytest.raises(CannedReplyNotFound):
        canned.text_of(reply_id)
