"""The generated company: deterministic by seed, shaped like a real org, fast at 10,000 people."""

import time

from dingperf.sandbox.company import generate_company


def _shape(state):
    return [
        (u.userid, u.name, tuple(u.dept_id_list), u.manager_userid) for u in state.directory.users.values()
    ]


def test_same_seed_gives_the_same_company():
    assert _shape(generate_company(120, 8, seed=5)) == _shape(generate_company(120, 8, seed=5))


def test_different_seeds_give_different_people():
    assert _shape(generate_company(50, 4, seed=1)) != _shape(generate_company(50, 4, seed=2))


def test_company_has_managers_heads_people_without_manager_and_leavers():
    directory = generate_company(400, 20, seed=11).directory
    users = list(directory.users.values())
    assert any(u.departed for u in users)
    assert any(u.manager_userid is None and not u.departed for u in users)
    assert all(
        directory.departments[d].manager_userids for d in directory.departments if directory.member_ids(d)
    )
    assert "影楼运营部" in {d.name for d in directory.departments.values()}


def test_big_company_has_departments_over_100_members_and_is_fast():
    started = time.perf_counter()
    state = generate_company(10_000, 500, seed=1)
    elapsed = time.perf_counter() - started
    directory = state.directory
    assert len(directory.active_userids()) == 10_000 and len(directory.departments) == 501
    assert max(len(directory.member_ids(d)) for d in directory.departments) > 100
    assert elapsed < 5.0


def test_managers_are_current_users():
    directory = generate_company(300, 15, seed=3).directory
    managers = {u.manager_userid for u in directory.users.values() if u.manager_userid}
    assert all(not directory.users[m].departed for m in managers)
