"""The address-book methods against a generated company in the live sandbox."""

from collections import Counter

import pytest

from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.contacts import ROOT_DEPT_ID
from dingperf.dingtalk.errors import NotFound
from dingperf.sandbox.company import generate_company


@pytest.fixture
def company(sandbox):
    generate_company(400, 12, seed=3, into=sandbox.state)
    return sandbox


@pytest.fixture
def client(company) -> DingTalkClient:
    app = company.state.app
    return DingTalkClient(ClientConfig(corp_id=app.corp_id, app_key=app.app_key, app_secret=app.app_secret,
                                       agent_id=app.agent_id, robot_code=app.robot_code,
                                       api_base=company.base_url, oapi_base=company.base_url, timeout_s=5.0))


def biggest_department(state) -> tuple[int, list[str]]:
    with state.lock:
        return max(((d, state.directory.member_ids(d)) for d in state.directory.departments), key=lambda p: len(p[1]))


def test_paging_over_three_pages_returns_every_member_exactly_once(company, client):
    dept_id, members = biggest_department(company.state)
    assert len(members) > 80  # the generator makes departments of more than 100 people
    listed = [u.userid for u in client.contacts.iter_users(dept_id, size=40)]
    pages = company.state.recorder.list("/topapi/v2/user/list")
    assert len(pages) >= 3
    assert Counter(listed) == Counter(members)


def test_walking_the_tree_lists_every_membership_once(company, client):
    seen, queue, listed = set(), [ROOT_DEPT_ID], Counter()
    while queue:
        dept_id = queue.pop()
        seen.add(dept_id)
        queue.extend(client.contacts.list_sub_department_ids(dept_id))
        listed.update((dept_id, u.userid) for u in client.contacts.iter_users(dept_id))
    state = company.state
    with state.lock:
        expected = Counter((d, u) for d in state.directory.departments for u in state.directory.member_ids(d))
    assert seen == set(state.directory.departments) and listed == expected


def test_sub_departments_carry_names_and_parent(company, client):
    children = client.contacts.list_sub_departments(ROOT_DEPT_ID)
    assert children and all(c.parent_id == ROOT_DEPT_ID and c.name for c in children)
    assert [c.dept_id for c in children] == client.contacts.list_sub_department_ids(ROOT_DEPT_ID)


def test_department_detail_names_its_leaders(company, client):
    dept_id, _ = biggest_department(company.state)
    detail = client.contacts.get_department(dept_id)
    assert detail.dept_id == dept_id
    assert list(detail.leader_userids) == list(company.state.directory.department(dept_id).manager_userids)


def test_user_detail_has_manager_or_none_and_aware_hire_date(company, client):
    state = company.state
    with state.lock:
        users = [u for u in state.directory.users.values() if not u.departed]
        with_manager = next(u for u in users if u.manager_userid)
        without_manager = next(u for u in users if not u.manager_userid)
    detail = client.contacts.get_user(with_manager.userid)
    assert detail.manager_userid == with_manager.manager_userid
    if detail.hired_date is not None:
        assert detail.hired_date.tzinfo is not None
    assert client.contacts.get_user(without_manager.userid).manager_userid is None


def test_departed_user_is_not_found(company, client):
    with company.state.lock:
        departed = next(u for u in company.state.directory.users.values() if u.departed)
    with pytest.raises(NotFound):
        client.contacts.get_user(departed.userid)


def test_unknown_department_is_not_found(company, client):
    with pytest.raises(NotFound, match="60003"):
        client.contacts.list_sub_department_ids(987654)


def test_unionid_resolves_to_userid(company, client):
    dept_id, members = biggest_department(company.state)
    user = client.contacts.get_user(members[0])
    assert client.contacts.get_userid_by_unionid(user.unionid) == user.userid
    assert client.contacts.list_user_ids(dept_id) == members
