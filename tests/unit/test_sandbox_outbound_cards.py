"""Card templates shipped in cards/, openSpaceId grammar, and update semantics (§7, FRONTEND.md §4)."""

import json

import pytest

from dingperf.sandbox.card_delivery import Space, parse_open_space_id
from dingperf.sandbox.card_templates import TemplateRegistry, default_cards_dir, template_from_json
from dingperf.sandbox.cards import CardStore
from dingperf.sandbox.wire import NewApiError

SHIPPED = sorted(default_cards_dir().glob("*.json"))


def test_the_five_templates_dingperf_needs_are_shipped():
    names = {p.stem for p in SHIPPED}
    assert {"goal_confirmation", "weekly_checkin", "self_review", "result_ack", "reminder"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_sample_fits_its_own_schema(path):
    doc = json.loads(path.read_text("utf-8"))
    template = template_from_json(doc, path.name)
    assert template.template_id.endswith(".schema")
    sample = doc["sample"]
    template.check_param_map(sample["cardData"]["cardParamMap"], "cardData")
    reply = sample["reply"]
    for part in ("cardData", "userPrivateData"):
        if part in reply:
            template.check_param_map(reply[part]["cardParamMap"], part)
    for action_id in sample["callback"]["actionIds"]:
        required = [p["name"] for p in template.actions[action_id]["params"] if p.get("required")]
        assert all(sample["callback"]["params"].get(name) for name in required)


def test_shipped_template_ids_are_unique():
    registry = TemplateRegistry()
    loaded = registry.load_dir(default_cards_dir())
    assert len({t.template_id for t in loaded}) == len(loaded) == len(SHIPPED)


def test_open_space_id_with_several_spaces_parses_in_order():
    spaces = parse_open_space_id("dtv1.card//IM_ROBOT.manager4220;IM_GROUP.cidAbc+/x==")
    assert spaces == [Space("IM_ROBOT", "manager4220"), Space("IM_GROUP", "cidAbc+/x==")]


def test_lower_case_space_type_from_the_official_sample_is_accepted():
    assert parse_open_space_id("dtv1.card//im_group.cid1==") == [Space("IM_GROUP", "cid1==")]


TEMPLATE = template_from_json(
    {"templateId": "t.schema", "variableList": [{"name": n, "type": "string"} for n in ("a", "b", "c")]},
    "test",
)


def _card(store):
    body = {"outTrackId": "o1", "cardData": {"cardParamMap": {"a": "1", "b": "2"}}}
    body["privateData"] = {"u1": {"cardParamMap": {"a": "p"}}, "u2": {"cardParamMap": {"b": "q"}}}
    return store.create(body, TEMPLATE, 1000)


def test_private_update_replaces_only_the_named_users_map():
    store = CardStore()
    card = _card(store)
    store.update({"outTrackId": "o1", "privateData": {"u1": {"cardParamMap": {"c": "3"}}}}, 2000)
    assert card.private_data == {"u1": {"c": "3"}, "u2": {"b": "q"}}


def test_private_update_by_key_merges_into_the_users_map():
    store = CardStore()
    card = _card(store)
    body = {"outTrackId": "o1", "privateData": {"u1": {"cardParamMap": {"c": "3"}}}}
    store.update({**body, "cardUpdateOptions": {"updatePrivateDataByKey": True}}, 2000)
    assert card.private_data["u1"] == {"a": "p", "c": "3"}


def test_history_keeps_every_version_with_its_source_and_time():
    store = CardStore()
    card = _card(store)
    store.update({"outTrackId": "o1", "cardData": {"cardParamMap": {"c": "9"}}}, 2000)
    assert [(v.version, v.source, v.at_ms, v.card_data) for v in card.versions] == [
        (1, "create", 1000, {"a": "1", "b": "2"}),
        (2, "update", 2000, {"c": "9"}),
    ]


def test_callback_type_must_be_upper_case():
    with pytest.raises(NewApiError) as err:
        CardStore().create(
            {"outTrackId": "o", "callbackType": "stream", "cardData": {"cardParamMap": {}}}, TEMPLATE, 0
        )
    assert err.value.code == "param.invalid"


def test_values_over_1kb_are_refused():
    with pytest.raises(NewApiError):
        TEMPLATE.check_param_map({"a": "x" * 1025}, "cardData")
