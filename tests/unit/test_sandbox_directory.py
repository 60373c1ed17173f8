"""Directory mutators: what address-book events do to the sandbox org."""

import pytest

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.directory import Directory, DirectoryError, UnknownUser


@pytest.fixture
def directory() -> Directory:
    return Directory(Clock())


def test_added_user_is_a_direct_member_of_their_departments(directory):
    dept = directory.create_department(name="影楼运营部", parent_id=1)
    user = directory.add_user(name="王芳", dept_id_list=[dept.dept_id])
    assert directory.member_ids(dept.dept_id) == [user.userid]
    assert directory.member_ids(1) == []


def test_modify_user_reports_a_diff_in_dingtalk_keys(directory):
    user = directory.add_user(name="王芳", dept_id_list=[1])
    diff = directory.modify_user(user.userid, name="王芳芳", manager_userid="boss")
    assert diff == {
        "prev": {"name": "王芳", "managerUserid": None},
        "curr": {"name": "王芳芳", "managerUserid": "boss"},
    }


def test_leaving_user_is_gone_from_lookups_and_department_heads(directory):
    dept = directory.create_department(name="销售中心", parent_id=1)
    user = directory.add_user(name="李强", dept_id_list=[dept.dept_id], leader_in_dept=[dept.dept_id])
    directory.leave_user(user.userid)
    with pytest.raises(UnknownUser):
        directory.user(user.userid)
    assert directory.member_ids(dept.dept_id) == [] and dept.manager_userids == []


def test_department_with_members_cannot_be_removed(directory):
    dept = directory.create_department(name="财务部", parent_id=1)
    directory.add_user(name="赵敏", dept_id_list=[dept.dept_id])
    with pytest.raises(DirectoryError, match="move them first"):
        directory.remove_department(dept.dept_id)


def test_department_cannot_move_under_its_own_child(directory):
    parent = directory.create_department(name="研发中心", parent_id=1)
    child = directory.create_department(name="测试组", parent_id=parent.dept_id)
    with pytest.raises(DirectoryError):
        directory.modify_department(parent.dept_id, parent_id=child.dept_id)


def test_moving_a_user_between_departments_updates_membership(directory):
    a = directory.create_department(name="A", parent_id=1)
    b = directory.create_department(name="B", parent_id=1)
    user = directory.add_user(name="周杰", dept_id_list=[a.dept_id])
    directory.modify_user(user.userid, dept_id_list=[b.dept_id])
    assert directory.member_ids(a.dept_id) == [] and directory.member_ids(b.dept_id) == [user.userid]
