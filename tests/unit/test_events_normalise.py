import json
from datetime import UTC, datetime

import pytest

from dingperf.dingtalk.push import PushFormatError
from dingperf.dingtalk.stream import StreamFormatError
from dingperf.events.event import Event, InvalidEvent
from dingperf.events.normalise import from_failed_item, from_http_push, from_stream_frame

CORP = "dingcorp0001"


def stream_frame(**headers):
    base = {"topic": "*", "messageId": "m-1", "contentType": "application/json", "time": "1700000000500",
            "eventType": "user_add_org", "eventId": "ev-1", "eventCorpId": CORP, "eventBornTime": "1700000000000"}
    base.update(headers)
    return {"specVersion": "1.0", "type": "EVENT", "headers": base,
            "data": json.dumps({"timeStamp": "1700000000000", "userId": ["u1"]})}


def test_stream_frame_takes_identity_from_headers_and_body_from_data():
    event = from_stream_frame(stream_frame())
    assert event == Event(corp_id=CORP, event_id="ev-1", event_type="user_add_org",
                          born_at=datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), source="stream",
                          payload={"timeStamp": "1700000000000", "userId": ["u1"]})


def test_stream_frame_without_event_id_is_refused():
    frame = stream_frame()
    del frame["headers"]["eventId"]
    with pytest.raises(StreamFormatError, match="eventId"):
        from_stream_frame(frame)


def test_stream_frame_without_corp_uses_the_default_corp():
    frame = stream_frame()
    del frame["headers"]["eventCorpId"]
    assert from_stream_frame(frame, default_corp_id="dingdefault").corp_id == "dingdefault"


def test_http_current_form_keeps_business_keys_and_drops_metadata():
    event = from_http_push({"EventType": "bpms_instance_change", "EventTime": 1700000000000, "CorpId": CORP,
                            "BizId": "b1", "eventId": "e-77", "processInstanceId": "pi-1", "type": "finish",
                            "result": "agree"})
    assert (event.event_id, event.event_type, event.source, event.corp_id) == ("e-77", "bpms_instance_change",
                                                                            "http", CORP)
    assert event.payload == {"BizId": "b1", "processInstanceId": "pi-1", "type": "finish", "result": "agree"}
    assert event.born_at == datetime.fromtimestamp(1700000000, tz=UTC)


def test_http_legacy_form_gets_a_stable_derived_id_and_stream_spelling():
    legacy = {"EventType": "user_leave_org", "TimeStamp": "1700000000000", "UserId": ["u9"], "CorpId": CORP}
    first, again = from_http_push(legacy), from_http_push(dict(legacy))
    assert first.event_id == again.event_id and first.event_id.startswith("h-")
    assert first.payload == {"userId": ["u9"]}


def test_http_legacy_events_differing_in_time_get_different_ids():
    a = from_http_push({"EventType": "user_add_org", "TimeStamp": "1", "UserId": ["u"], "CorpId": CORP})
    b = from_http_push({"EventType": "user_add_org", "TimeStamp": "2", "UserId": ["u"], "CorpId": CORP})
    assert a.event_id != b.event_id


def test_check_url_is_not_an_event():
    with pytest.raises(PushFormatError, match="check_url"):
        from_http_push({"EventType": "check_url"})


def test_failed_list_item_unwraps_bpms_callback_data():
    item = {"call_back_tag": "bpms_instance_change", "event_time": 1606126433000,
            "bpms_instance_change": {"bpmsCallBackData": {"processInstanceId": "pi-9", "type": "finish"},
                                     "corpid": CORP}}
    event = from_failed_item(item)
    assert (event.source, event.corp_id, event.event_type) == ("failed_list", CORP, "bpms_instance_change")
    assert event.payload == {"processInstanceId": "pi-9", "type": "finish"}
    assert event.event_id == from_failed_item(json.loads(json.dumps(item))).event_id


def test_failed_list_item_with_inline_fields_gets_stream_spelling():
    item = {"call_back_tag": "user_add_org", "event_time": 1606126433000,
            "user_add_org": {"userid": ["zhangsan"], "corpid": CORP}}
    assert from_failed_item(item).payload == {"userId": ["zhangsan"]}


def test_legacy_approval_form_reads_camel_case_corp_id():
    event = from_http_push({"EventType": "bpms_task_change", "corpId": CORP, "processInstanceId": "pi-1",
                            "type": "finish", "result": "agree"})
    assert event.corp_id == CORP and event.payload == {"processInstanceId": "pi-1", "type": "finish",
                                                       "result": "agree"}


def test_failed_list_item_reuses_the_event_id_when_dingtalk_kept_it():
    item = {"call_back_tag": "user_add_org", "event_time": 1,
            "user_add_org": {"callbackData": json.dumps({"eventId": "e-5", "userId": ["a"]}), "corpid": CORP}}
    assert from_failed_item(item).event_id == "e-5"


def test_event_requires_an_aware_birth_time():
    with pytest.raises(InvalidEvent, match="timezone-aware"):
        Event(corp_id=CORP, event_id="e", event_type="t", born_at=datetime(2024, 1, 1), source="http")


def test_event_refuses_an_unknown_source():
    with pytest.raises(InvalidEvent, match="source"):
        Event(corp_id=CORP, event_id="e", event_type="t", born_at=datetime.now(UTC), source="mail")  # type: ignore[arg-type]
