"""A generated company for the sandbox org, deterministic by seed (`dingperf sandbox --seed`).

Departments at least three levels deep under the root, an 影楼运营部, a few departments with more
than 100 direct members (forces user/list paging), department heads and managers (some people have
none), some who have left, 30 days of attendance, and approval instances with KPI form fields.
"""

from __future__ import annotations

import random

from dingperf.sandbox.attendance import AttendanceBook
from dingperf.sandbox.company_approvals import DAY_MS, generate_approvals
from dingperf.sandbox.directory import ROOT_DEPT_ID, Department
from dingperf.sandbox.state import AppCredentials, SandboxState

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬建文辉力斌宇浩凯鹏飞鑫波宁婷雪琳晨欣怡佳慧颖"
    "子涵梓萱一诺雨轩思远博文皓然梦瑶可馨俊杰嘉怡浩宇欣然天佑"
)
LEVEL1 = (
    "影楼运营部",
    "销售中心",
    "研发中心",
    "市场部",
    "客户服务部",
    "人力资源部",
    "财务部",
    "供应链中心",
    "品牌部",
    "行政部",
)
REGIONS = (
    "华东",
    "华南",
    "华北",
    "华中",
    "西南",
    "西北",
    "东北",
    "杭州",
    "上海",
    "深圳",
    "成都",
    "武汉",
    "南京",
    "苏州",
)
TEAMS = (
    "一组",
    "二组",
    "三组",
    "门店",
    "客户成功部",
    "产品部",
    "交付部",
    "摄影部",
    "化妆造型部",
    "后期部",
    "渠道部",
    "测试组",
    "大客户部",
)
TITLES = (
    "摄影师",
    "化妆师",
    "销售顾问",
    "客服专员",
    "后期修图师",
    "工程师",
    "产品经理",
    "运营专员",
    "会计",
    "招聘专员",
    "店长助理",
    "设计师",
)


def generate_company(
    employees: int, depts: int, seed: int, *, into: SandboxState | None = None
) -> SandboxState:
    """Fill `into` (or a new state) with `employees` current staff in `depts` departments plus the root."""
    if employees < 1 or depts < 1:
        raise ValueError("a company needs at least 1 employee and 1 department besides the root")
    state = into or SandboxState(app=AppCredentials.generate())
    rng = random.Random(seed)
    now_ms = state.clock.now_ms()
    with state.lock:
        dept_ids = _departments(state, rng, depts)
        _users(state, rng, employees, dept_ids, now_ms)
        state.attendance = AttendanceBook(state.clock, state.directory, seed=seed, history_end_ms=now_ms)
        generate_approvals(state, rng, employees, now_ms)
    return state


def _departments(state: SandboxState, rng: random.Random, count: int) -> list[int]:
    directory = state.directory
    level = {ROOT_DEPT_ID: 0}
    names: dict[int, set[str]] = {}
    n_level1 = max(1, min(len(LEVEL1), count // 6 or 1, count))
    created: list[Department] = []
    for n in range(count):
        if n < n_level1:
            parent = ROOT_DEPT_ID
        elif n == n_level1:
            parent = created[0].dept_id  # guarantee ≥ 3 levels: a chain under the first level-1 department
        elif n == n_level1 + 1:
            parent = created[n_level1].dept_id
        else:
            shallow = [d.dept_id for d in created if level[d.dept_id] <= 2]
            parent = rng.choice(shallow)
        name = LEVEL1[n] if parent == ROOT_DEPT_ID else rng.choice(REGIONS) + rng.choice(TEAMS)
        taken = names.setdefault(parent, set())
        base, k = name, 2
        while name in taken:
            name, k = f"{base}{k}", k + 1
        taken.add(name)
        dept = directory.create_department(name=name, parent_id=parent)
        level[dept.dept_id] = level[parent] + 1
        created.append(dept)
    return [d.dept_id for d in created]


def _person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def _users(state: SandboxState, rng: random.Random, employees: int, dept_ids: list[int], now_ms: int) -> None:
    directory = state.directory
    # Big departments (> 100 direct members) when there are people enough for them.
    big = dept_ids[: min(employees // 150, max(1, len(dept_ids) // 25))]
    placement: list[int] = []
    for dept_id in big:
        placement.extend([dept_id] * rng.randint(105, 140))
    placement = placement[: max(0, employees - 1)]
    rest = [d for d in dept_ids if d not in big] or dept_ids
    placement.extend(
        rest[i % len(rest)] if i < len(rest) else rng.choice(rest)
        for i in range(employees - 1 - len(placement))
    )
    rng.shuffle(placement)
    placement.insert(0, ROOT_DEPT_ID)  # the boss sits in the root department

    seen: set[str] = set()
    leaders: dict[int, str] = {}
    total = employees + max(1, employees // 50)  # current staff, then people who have left
    for n in range(total):
        departed = n >= employees
        dept_id = placement[n] if not departed else rng.choice(dept_ids)
        userid = f"{rng.randrange(10**15, 10**16)}"
        while userid in seen:
            userid = f"{rng.randrange(10**15, 10**16)}"
        seen.add(userid)
        dept_list = [dept_id]
        if not departed and n > 0 and rng.random() < 0.04:
            other = rng.choice(dept_ids)
            if other != dept_id:
                dept_list.append(other)
        lead = not departed and dept_id not in leaders
        if lead:
            leaders[dept_id] = userid
        hired = None if rng.random() < 0.02 else now_ms - rng.randint(20, 8 * 365) * DAY_MS
        if n % 97 == 5:
            hired = now_ms - rng.randint(3, 15) * DAY_MS  # recent hires: attendance starts mid-window
        directory.add_user(
            userid=userid,
            name=_person_name(rng),
            dept_id_list=dept_list,
            unionid="".join(
                rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(22)
            )
            + "iEiE",
            title=("总经理" if n == 0 else "部门负责人") if lead else rng.choice(TITLES),
            job_number="" if rng.random() < 0.03 else f"NO{10000 + n}",
            hired_date=hired,
            leader_in_dept=[dept_id] if lead else [],
            mobile=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
            email=f"u{n}@yinglou.example.com" if rng.random() < 0.6 else "",
            work_place=rng.choice(("杭州", "上海", "深圳", "")),
            active=rng.random() < 0.97,
            admin=n < 2,
            boss=n == 0,
            dept_order=n,
            modified_ms=now_ms - rng.randint(0, 400) * DAY_MS,
            created_ms=0,
            departed=departed,
            departed_ms=now_ms - rng.randint(1, 60) * DAY_MS if departed else None,
        )
    # Managers: the head of one's department, or of the parent for heads themselves; ~5% have none.
    for user in directory.users.values():
        if user.departed or user.boss or rng.random() < 0.05:
            continue
        dept_id = user.dept_id_list[0]
        while True:
            head = leaders.get(dept_id)
            if head and head != user.userid:
                user.manager_userid = head
                break
            parent = directory.departments[dept_id].parent_id
            if parent is None:
                break
            dept_id = parent
