"""Interactive cards over real HTTP: create, deliver, update semantics, callback routes (§7.1–§7.5)."""

import json
from pathlib import Path

import pytest
from sandbox_outbound_kit import OutboundKit

CARDS_DIR = Path(__file__).resolve().parents[2] / "cards"
GOAL = json.loads((CARDS_DIR / "goal_confirmation.json").read_text("utf-8"))


@pytest.fixture
def kit(sandbox):
    return OutboundKit(sandbox)


def _card_body(out_track_id, **extra):
    return {
        "cardTemplateId": GOAL["templateId"],
        "outTrackId": out_track_id,
        "cardData": {"cardParamMap": dict(GOAL["sample"]["cardData"]["cardParamMap"])},
        **extra,
    }


def _robot_delivery(kit, userid):
    return {
        "openSpaceId": f"dtv1.card//IM_ROBOT.{userid}",
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": kit.app.robot_code},
    }


def _create(kit, out_track_id, **extra):
    resp = kit.api("POST", "/v1.0/card/instances", _card_body(out_track_id, **extra))
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_create_returns_the_out_track_id(kit):
    assert _create(kit, "goal-1") == {"success": True, "result": "goal-1"}


def test_second_create_with_the_same_out_track_id_is_card_already_exist(kit):
    _create(kit, "goal-1")
    resp = kit.api("POST", "/v1.0/card/instances", _card_body("goal-1"))
    assert (resp.status_code, resp.json()["code"]) == (400, "param.cardAlreadyExist")


def test_unknown_template_is_template_not_exist(kit):
    resp = kit.api("POST", "/v1.0/card/instances", {**_card_body("c1"), "cardTemplateId": "nope.schema"})
    assert (resp.status_code, resp.json()["code"]) == (400, "param.templateNotExist")


def test_card_values_must_be_strings(kit):
    body = _card_body("c1")
    body["cardData"]["cardParamMap"]["goal_count"] = 3
    resp = kit.api("POST", "/v1.0/card/instances", body)
    assert (resp.status_code, resp.json()["code"]) == (400, "param.invalid")
    assert "goal_count" in resp.json()["message"]


def test_keys_the_template_does_not_declare_are_refused(kit):
    body = _card_body("c1")
    body["cardData"]["cardParamMap"]["colour"] = "red"
    assert kit.api("POST", "/v1.0/card/instances", body).json()["code"] == "param.invalid"


def test_a_template_registered_through_the_control_api_can_be_used(kit):
    template = {
        "templateId": "adhoc.schema",
        "name": "adhoc",
        "variableList": [{"name": "text", "type": "string"}],
    }
    assert kit.control("POST", "/card-templates", template).status_code == 200
    body = {
        "cardTemplateId": "adhoc.schema",
        "outTrackId": "a1",
        "cardData": {"cardParamMap": {"text": "hi"}},
    }
    assert kit.api("POST", "/v1.0/card/instances", body).status_code == 200


def test_deliver_to_a_user_returns_a_carrier_and_fills_their_mailbox(kit):
    zhang = kit.hire("张伟")
    _create(kit, "goal-1")
    resp = kit.api(
        "POST", "/v1.0/card/instances/deliver", {"outTrackId": "goal-1", **_robot_delivery(kit, zhang)}
    )
    assert resp.status_code == 200, resp.text
    [result] = resp.json()["result"]
    assert result["spaceType"] == "IM_ROBOT" and result["spaceId"] == zhang and result["success"] is True
    assert result["carrierId"]
    [item] = kit.inbox(zhang, "card")
    assert item["card"]["cardParamMap"]["status_text"] == "待确认"
    assert item["card"]["version"] == 1


def test_deliver_to_a_departed_user_fails_for_that_space_only(kit):
    zhang, gone = kit.hire("张伟"), kit.hire("王芳")
    kit.state.directory.leave_user(gone)
    _create(kit, "goal-1")
    body = {
        "outTrackId": "goal-1",
        "openSpaceId": f"dtv1.card//IM_ROBOT.{zhang};IM_ROBOT.{gone}",
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": kit.app.robot_code},
    }
    results = kit.api("POST", "/v1.0/card/instances/deliver", body).json()["result"]
    assert [r["success"] for r in results] == [True, False]
    assert results[1]["errorMsg"]


def test_malformed_open_space_id_is_open_space_id_invalid(kit):
    _create(kit, "goal-1")
    for bad in ("IM_ROBOT.u1", "dtv1.card//IM_NOWHERE.u1", "dtv1.card//IM_ROBOT"):
        body = {"outTrackId": "goal-1", **_robot_delivery(kit, "u1"), "openSpaceId": bad}
        resp = kit.api("POST", "/v1.0/card/instances/deliver", body)
        assert resp.json()["code"] == "param.openSpaceIdInvalid", bad


def test_delivery_needs_the_model_of_its_space(kit):
    _create(kit, "goal-1")
    body = {"outTrackId": "goal-1", "openSpaceId": "dtv1.card//IM_GROUP.cidx=="}
    assert (
        kit.api("POST", "/v1.0/card/instances/deliver", body).json()["code"] == "param.openDeliverModelEmpty"
    )


def test_create_and_deliver_to_a_group_reaches_members_and_the_group_log(kit):
    zhang, li = kit.hire("张伟"), kit.hire("李娜")
    cid = kit.control("POST", "/groups", {"title": "销售部", "member_userids": [zhang, li]}).json()[
        "openConversationId"
    ]
    body = _card_body(
        "goal-g",
        openSpaceId=f"dtv1.card//IM_GROUP.{cid}",
        imGroupOpenSpaceModel={"supportForward": True},
        imGroupOpenDeliverModel={"robotCode": kit.app.robot_code, "atUserIds": {zhang: "张伟"}},
    )
    resp = kit.api("POST", "/v1.0/card/instances/createAndDeliver", body)
    assert resp.status_code == 200, resp.text
    result = resp.json()["result"]
    assert result["outTrackId"] == "goal-g"
    assert result["deliverResults"][0]["spaceType"] == "IM_GROUP"
    assert len(kit.inbox(zhang, "card")) == 1 and len(kit.inbox(li, "card")) == 1
    log = kit.control("GET", f"/groups/{cid}/messages").json()["messages"]
    assert log[0]["content"]["outTrackId"] == "goal-g"
    assert log[0]["content"]["atUserIds"] == {zhang: "张伟"}


def test_create_and_deliver_with_a_bad_space_creates_nothing(kit):
    body = _card_body(
        "goal-x", openSpaceId="nonsense", imRobotOpenDeliverModel={"robotCode": kit.app.robot_code}
    )
    assert (
        kit.api("POST", "/v1.0/card/instances/createAndDeliver", body).json()["code"]
        == "param.openSpaceIdInvalid"
    )
    assert kit.control("GET", "/cards/goal-x").status_code == 404


def test_update_replaces_the_whole_map_by_default(kit):
    _create(kit, "goal-1")
    resp = kit.api(
        "PUT",
        "/v1.0/card/instances",
        {"outTrackId": "goal-1", "cardData": {"cardParamMap": {"status_text": "已确认"}}},
    )
    assert resp.json() == {"success": True, "result": True}
    card = kit.control("GET", "/cards/goal-1").json()
    assert card["cardData"]["cardParamMap"] == {"status_text": "已确认"}
    assert card["version"] == 2


def test_update_by_key_merges_into_the_map(kit):
    _create(kit, "goal-1")
    body = {
        "outTrackId": "goal-1",
        "cardData": {"cardParamMap": {"status_text": "已确认"}},
        "cardUpdateOptions": {"updateCardDataByKey": True},
    }
    kit.api("PUT", "/v1.0/card/instances", body)
    data = kit.control("GET", "/cards/goal-1").json()["cardData"]["cardParamMap"]
    assert data["status_text"] == "已确认"
    assert data["goal_count"] == "3"


def test_private_data_is_seen_only_by_its_user_and_history_is_kept(kit):
    zhang, li = kit.hire("张伟"), kit.hire("李娜")
    _create(kit, "goal-1")
    for userid in (zhang, li):
        kit.api(
            "POST", "/v1.0/card/instances/deliver", {"outTrackId": "goal-1", **_robot_delivery(kit, userid)}
        )
    body = {
        "outTrackId": "goal-1",
        "privateData": {zhang: {"cardParamMap": {"submitted": "true"}}},
        "cardUpdateOptions": {"updatePrivateDataByKey": True},
    }
    kit.api("PUT", "/v1.0/card/instances", body)
    [mine] = kit.inbox(zhang, "card")
    [theirs] = kit.inbox(li, "card")
    assert mine["card"]["cardParamMap"]["submitted"] == "true"
    assert "submitted" not in theirs["card"]["cardParamMap"]
    assert [v["source"] for v in mine["card"]["history"]] == ["create", "update"]


def test_update_of_an_unknown_card_is_card_not_exist(kit):
    resp = kit.api("PUT", "/v1.0/card/instances", {"outTrackId": "ghost", "cardData": {"cardParamMap": {}}})
    assert (resp.status_code, resp.json()["code"]) == (400, "param.cardNotExist")


def test_update_with_nothing_to_change_is_refused(kit):
    _create(kit, "goal-1")
    resp = kit.api("PUT", "/v1.0/card/instances", {"outTrackId": "goal-1"})
    assert resp.json()["code"] == "param.cardDataAndPrivateDataBothEmpty"


def test_callback_registration_needs_force_update_to_overwrite(kit):
    first = {"callbackRouteKey": "perf", "callbackUrl": "http://127.0.0.1:1/a", "apiSecret": "s1"}
    assert kit.api("POST", "/v1.0/card/callbacks/register", first).json()["result"] == {
        "callbackUrl": "http://127.0.0.1:1/a",
        "apiSecret": "s1",
    }
    second = {"callbackRouteKey": "perf", "callbackUrl": "http://127.0.0.1:1/b", "apiSecret": "s2"}
    assert (
        kit.api("POST", "/v1.0/card/callbacks/register", second)
        .json()["result"]["callbackUrl"]
        .endswith("/a")
    )
    forced = kit.api("POST", "/v1.0/card/callbacks/register", {**second, "forceUpdate": True}).json()[
        "result"
    ]
    assert forced == {"callbackUrl": "http://127.0.0.1:1/b", "apiSecret": "s2"}


def test_callback_registration_needs_a_route_key(kit):
    resp = kit.api("POST", "/v1.0/card/callbacks/register", {"callbackUrl": "http://x"})
    assert resp.json()["code"] == "param.callbackRouteKeyEmpty"


def test_shipped_templates_are_published(kit):
    names = {t["name"] for t in kit.control("GET", "/card-templates").json()["templates"]}
    assert {"goal_confirmation", "weekly_checkin", "self_review", "result_ack", "reminder"} <= names


def test_private_data_for_someone_outside_the_org_is_user_id_not_exist(kit):
    body = _card_body("goal-p", privateData={"ghost": {"cardParamMap": {"submitted": "true"}}})
    resp = kit.api("POST", "/v1.0/card/instances", body)
    assert (resp.status_code, resp.json()["code"]) == (400, "param.userIdNotExist")
