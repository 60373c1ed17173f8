"""Address-book endpoints (oapi family): departments, users, 免登 userinfo (DINGTALK.md §3, §8)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.directory import ROOT_DEPT_ID, Department, UnknownDepartment, UnknownUser, User
from dingperf.sandbox.tokens import authenticated_app
from dingperf.sandbox.wire import OldApiError, json_body, old_ok

bp = Blueprint("sandbox_contacts", __name__)

MAX_PAGE = 100
ORDER_FIELDS = ("entry_asc", "entry_desc", "modify_asc", "modify_desc", "custom")


def params() -> dict[str, Any]:
    """An oapi call's parameters: a JSON object, or form fields (DingTalk's own samples send both)."""
    if request.form:
        return request.form.to_dict()
    return json_body()


def int_param(
    body: dict[str, Any],
    name: str,
    *,
    default: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> int:
    """An integer parameter, leniently parsed from number or numeric string; 40035 if bad or missing."""
    value = body.get(name, default)
    if value is None or value == "":
        raise OldApiError(40035, f"缺少参数 {name}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise OldApiError(40035, f"不合法的参数 {name}: {value!r} is not an integer") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise OldApiError(40035, f"不合法的参数 {name}: {number} must be within [{low}, {high}]")
    return number


def _department(dept_id: int) -> Department:
    try:
        return sandbox_state().directory.department(dept_id)
    except UnknownDepartment:
        raise OldApiError(60003, "部门不存在") from None


def _user_or_error(userid: object) -> User:
    state = sandbox_state()
    if not isinstance(userid, str) or not userid:
        raise OldApiError(40035, "缺少参数 userid")
    try:
        return state.directory.user(userid)
    except UnknownUser:
        code = state.limits.departed_user_errcode
        raise OldApiError(code, "找不到该用户" if code == 60121 else "无效的userid") from None


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    """Drop optional fields DingTalk omits when unset."""
    return {k: v for k, v in fields.items() if v is not None and v != ""}


def user_list_item(user: User) -> dict[str, Any]:
    """One topapi/v2/user/list item: note there is no manager_userid in list items (§3.2)."""
    return _compact(
        {
            "userid": user.userid,
            "unionid": user.unionid,
            "name": user.name,
            "avatar": user.avatar,
            "state_code": "86",
            "mobile": user.mobile,
            "hide_mobile": False,
            "telephone": "",
            "job_number": user.job_number,
            "title": user.title,
            "email": user.email,
            "org_email": "",
            "work_place": user.work_place,
            "remark": "",
            "dept_id_list": list(user.dept_id_list),
            "dept_order": user.dept_order,
            "extension": "{}",
            "hired_date": user.hired_date,
            "active": user.active,
            "admin": user.admin,
            "boss": user.boss,
            "leader": bool(user.leader_in_dept),
            "exclusive_account": False,
        }
    )


def user_detail(user: User) -> dict[str, Any]:
    """topapi/v2/user/get's result; manager_userid, hired_date and avatar are absent when unset."""
    return _compact(
        {
            "userid": user.userid,
            "unionid": user.unionid,
            "name": user.name,
            "avatar": user.avatar,
            "manager_userid": user.manager_userid,
            "title": user.title,
            "job_number": user.job_number,
            "hired_date": user.hired_date,
            "active": user.active,
            "dept_id_list": list(user.dept_id_list),
            "dept_order_list": [{"dept_id": d, "order": user.dept_order} for d in user.dept_id_list],
            "leader_in_dept": [{"dept_id": d, "leader": d in user.leader_in_dept} for d in user.dept_id_list],
            "role_list": [{"id": 1, "name": "主管理员", "group_name": "默认"}] if user.admin else [],
            "admin": user.admin,
            "boss": user.boss,
            "senior": False,
            "real_authed": True,
            "exclusive_account": False,
            "mobile": user.mobile,
            "state_code": "86",
            "hide_mobile": False,
            "telephone": "",
            "email": user.email,
            "org_email": "",
            "work_place": user.work_place,
            "remark": "",
            "extension": "{}",
        }
    )


@bp.post("/topapi/v2/department/listsub")
def department_listsub() -> Response:
    authenticated_app()
    body = params()
    state = sandbox_state()
    parent = _department(int_param(body, "dept_id", default=ROOT_DEPT_ID, low=1))
    with state.lock:
        children = [state.directory.departments[d] for d in state.directory.child_ids(parent.dept_id)]
        result = [
            {
                "dept_id": d.dept_id,
                "name": d.name,
                "parent_id": d.parent_id,
                "create_dept_group": d.create_dept_group,
                "auto_add_user": d.auto_add_user,
            }
            for d in children
        ]
    return old_ok(result=result)


@bp.post("/topapi/v2/department/listsubid")
def department_listsubid() -> Response:
    authenticated_app()
    dept = _department(int_param(params(), "dept_id", low=1))
    return old_ok(result={"dept_id_list": sandbox_state().directory.child_ids(dept.dept_id)})


@bp.post("/topapi/v2/department/get")
def department_get() -> Response:
    authenticated_app()
    state = sandbox_state()
    dept = _department(int_param(params(), "dept_id", low=1))
    with state.lock:
        subtree = state.directory.subtree_ids(dept.dept_id)
        members = {u for d in subtree for u in state.directory.member_ids(d)}
        direct = state.directory.member_ids(dept.dept_id)
        result = _compact(
            {
                "dept_id": dept.dept_id,
                "name": dept.name,
                "parent_id": dept.parent_id,
                "order": dept.order,
                "source_identifier": "",
                "code": "",
                "member_count": len(members),
                "owning_member_count": len(direct),
                "dept_manager_userid_list": list(dept.manager_userids),
                "org_dept_owner": (dept.manager_userids or [None])[0],
                "dept_group_chat_id": f"chat{dept.dept_id:08d}" if dept.create_dept_group else None,
                "create_dept_group": dept.create_dept_group,
                "auto_add_user": dept.auto_add_user,
                "group_contain_sub_dept": False,
                "hide_dept": False,
                "dept_permits": [],
                "user_permits": [],
                "outer_dept": False,
                "outer_permit_depts": [],
                "outer_permit_users": [],
                "auto_approve_apply": False,
                "from_union_org": False,
                "tags": "",
            }
        )
    return old_ok(result=result)


@bp.post("/topapi/user/listid")
def user_listid() -> Response:
    authenticated_app()
    dept = _department(int_param(params(), "dept_id", low=1))
    return old_ok(result={"userid_list": sandbox_state().directory.member_ids(dept.dept_id)})


@bp.post("/topapi/v2/user/list")
def user_list() -> Response:
    authenticated_app()
    state = sandbox_state()
    body = params()
    dept = _department(int_param(body, "dept_id", low=1))
    cursor = int_param(body, "cursor", low=0)
    size = int_param(body, "size", low=1, high=MAX_PAGE)
    order = body.get("order_field") or "custom"
    if order not in ORDER_FIELDS:
        raise OldApiError(40035, f"不合法的参数 order_field: use one of {', '.join(ORDER_FIELDS)}")
    with state.lock:
        users = [state.directory.users[u] for u in state.directory.member_ids(dept.dept_id)]
        if order.startswith("entry"):
            users.sort(
                key=lambda u: (u.hired_date is None, u.hired_date or 0, u.dept_order),
                reverse=order == "entry_desc",
            )
        elif order.startswith("modify"):
            users.sort(key=lambda u: (u.modified_ms, u.dept_order), reverse=order == "modify_desc")
        else:
            users.sort(key=lambda u: u.dept_order)
        page = [user_list_item(u) for u in users[cursor : cursor + size]]
    has_more = cursor + size < len(users)
    result: dict[str, Any] = {"has_more": has_more, "list": page}
    if has_more:
        result["next_cursor"] = cursor + size
    return old_ok(result=result)


@bp.post("/topapi/v2/user/get")
def user_get() -> Response:
    authenticated_app()
    state = sandbox_state()
    with state.lock:
        return old_ok(result=user_detail(_user_or_error(params().get("userid"))))


@bp.post("/topapi/user/getbyunionid")
def user_getbyunionid() -> Response:
    authenticated_app()
    unionid = params().get("unionid")
    if not isinstance(unionid, str) or not unionid:
        raise OldApiError(40035, "缺少参数 unionid")
    try:
        userid = sandbox_state().directory.userid_by_unionid(unionid)
    except UnknownUser:
        raise OldApiError(60121, "找不到该用户") from None
    return old_ok(result={"contact_type": 0, "userid": userid})


@bp.post("/topapi/v2/user/getuserinfo")
def user_getuserinfo() -> Response:
    authenticated_app()
    state = sandbox_state()
    code = params().get("code")
    userid = state.authcodes.redeem(code) if isinstance(code, str) and code else None
    if userid is None:
        raise OldApiError(40078, "不存在的临时授权码")
    try:
        user = state.directory.user(userid)
    except UnknownUser:
        raise OldApiError(40078, "不存在的临时授权码: the user has left the org") from None
    sys_level = 100 if user.boss else 1 if user.admin else 0
    return old_ok(
        result={
            "userid": user.userid,
            "unionid": user.unionid,
            "name": user.name,
            "device_id": f"sandbox-device-{user.userid[-6:]}",
            "sys": user.admin or user.boss,
            "sys_level": sys_level,
            "associated_unionid": "",
        }
    )
