"""Work-notification msg validation: msgtypes, required fields, size limit (§6.1)."""

import pytest

from dingperf.sandbox.wire import OldApiError
from dingperf.sandbox.work_messages import msg_size, validate_msg

GOOD = [
    {"msgtype": "text", "text": {"content": "hi"}},
    {"msgtype": "link", "link": {"messageUrl": "u", "picUrl": "p", "title": "t", "text": "x"}},
    {"msgtype": "markdown", "markdown": {"title": "t", "text": "## x"}},
    {
        "msgtype": "oa",
        "oa": {"message_url": "u", "head": {"bgcolor": "FFBBBBBB", "text": "h"}, "body": {"title": "b"}},
    },
    {
        "msgtype": "action_card",
        "action_card": {"title": "t", "markdown": "m", "single_title": "看", "single_url": "u"},
    },
    {
        "msgtype": "action_card",
        "action_card": {
            "title": "t",
            "markdown": "m",
            "btn_orientation": "1",
            "btn_json_list": [{"title": "确认", "action_url": "u"}],
        },
    },
]


@pytest.mark.parametrize("msg", GOOD, ids=lambda m: m["msgtype"])
def test_documented_shapes_are_accepted(msg):
    assert validate_msg(msg) == msg["msgtype"]


@pytest.mark.parametrize(
    ("msg", "errcode"),
    [
        (None, 40035),
        ({"text": {"content": "x"}}, 40035),
        ({"msgtype": "video", "video": {}}, 400002),
        ({"msgtype": "text", "text": {}}, 40035),
        ({"msgtype": "oa", "oa": {"message_url": "u", "head": {"text": "h"}, "body": {}}}, 40035),
        # markdown text may be 5000 chars, but the whole msg must fit in 2048 bytes first
        ({"msgtype": "markdown", "markdown": {"title": "t", "text": "x" * 2048}}, 400002),
        (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": "t",
                    "markdown": "m",
                    "btn_json_list": [{"title": "一" * 21, "action_url": "u"}],
                },
            },
            400002,
        ),
    ],
)
def test_bad_shapes_get_the_documented_errcode(msg, errcode):
    with pytest.raises(OldApiError) as err:
        validate_msg(msg)
    assert err.value.errcode == errcode


def test_size_is_counted_in_utf8_bytes():
    msg = {"msgtype": "text", "text": {"content": "绩"}}
    assert msg_size(msg) == len('{"msgtype":"text","text":{"content":"绩"}}'.encode())
