"""dingperf's own DingTalk client against the outbound sandbox: what it sends is accepted, and what
people would see lands in their mailbox (the contract between dingperf/dingtalk and the sandbox)."""

import json
from pathlib import Path

import pytest
import requests

from dingperf.dingtalk.cards import OpenSpace
from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.messages import text_msg
from dingperf.dingtalk.webhook import GroupRobotWebhook

GOAL = json.loads(
    (Path(__file__).resolve().parents[2] / "cards" / "goal_confirmation.json").read_text("utf-8")
)


@pytest.fixture
def client(sandbox):
    app = sandbox.state.app
    config = ClientConfig(
        corp_id=app.corp_id,
        app_key=app.app_key,
        app_secret=app.app_secret,
        agent_id=app.agent_id,
        robot_code=app.robot_code,
        api_base=sandbox.base_url,
        oapi_base=sandbox.base_url,
        timeout_s=5.0,
    )
    return DingTalkClient(config)


def _hire(sandbox, name):
    return sandbox.state.directory.add_user(name=name, dept_id_list=[1]).userid


def _inbox(sandbox, userid, kind):
    resp = requests.get(f"{sandbox.base_url}/_sandbox/messages", params={"userid": userid, "kind": kind})
    return resp.json()["messages"]


def test_client_work_notification_duplicate_is_visible_in_its_send_result(sandbox, client):
    zhang = _hire(sandbox, "张伟")
    client.messages.send_work_notification([zhang], text_msg("请确认目标"))
    [task_id] = client.messages.send_work_notification([zhang], text_msg("请确认目标"))
    result = client.messages.get_send_result(task_id)
    assert [(f.code, f.userid) for f in result.forbidden] == [("143106", zhang)]
    assert len(_inbox(sandbox, zhang, "work_notification")) == 1


def test_client_card_lifecycle_shows_the_latest_data_to_the_person(sandbox, client):
    zhang = _hire(sandbox, "张伟")
    results = client.cards.create_and_deliver(
        GOAL["templateId"], "goal-c1", GOAL["sample"]["cardData"]["cardParamMap"], [OpenSpace.robot(zhang)]
    )
    assert [r.success for r in results] == [True] and results[0].carrier_id
    client.cards.update("goal-c1", {"status_text": "已确认"})
    [item] = _inbox(sandbox, zhang, "card")
    assert item["card"]["version"] == 2
    assert item["card"]["cardParamMap"]["status_text"] == "已确认"
    assert item["card"]["cardParamMap"]["goal_count"] == "3"


def test_client_robot_messages_and_ding_reach_people(sandbox, client):
    zhang = _hire(sandbox, "张伟")
    cid = requests.post(
        f"{sandbox.base_url}/_sandbox/groups", json={"title": "销售部", "member_userids": [zhang]}
    ).json()["openConversationId"]
    client.robot.send_group_message(cid, "sampleText", {"content": "本周排行"})
    client.robot.batch_send_oto([zhang], "sampleText", {"content": "请自评"})
    client.robot.ding([zhang], "自评今天截止")
    kinds = [m["kind"] for m in _inbox(sandbox, zhang, None)]
    assert kinds == ["group_message", "robot_oto", "ding"]


def test_client_webhook_signs_the_way_the_sandbox_verifies(sandbox):
    robot = requests.post(f"{sandbox.base_url}/_sandbox/robots", json={"security": "sign"}).json()
    webhook = GroupRobotWebhook(robot["webhook"], robot["secret"], clock=sandbox.state.clock.now)
    webhook.send_text("绩效周报已发布")
    messages = requests.get(f"{sandbox.base_url}/_sandbox/robots/{robot['access_token']}/messages").json()
    assert [m["body"]["text"]["content"] for m in messages["messages"]] == ["绩效周报已发布"]
