"""The sandbox org's attendance: schedules, punches and check results (DINGTALK.md §4).

Everyone works Monday–Friday, 09:00–18:00 China time. Check points scheduled before the company
was generated get seeded, deterministic outcomes (no storage: derived from a hash, so 10,000
people × 30 days cost nothing until asked for). Later check points are judged from real punches
added with `add_punch` (what an `attendance_check_record` event stands for); none → NotSigned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.directory import Directory

CST = dt.timezone(dt.timedelta(hours=8))
ON_DUTY, OFF_DUTY = (9, 0), (18, 0)
SERIOUS_LATE_MIN = 30  # DingTalk's default 严重迟到 threshold
GROUP_ID, PLAN_BASE, CLASS_ID = 720_001, 90_000_000, 630_001
HISTORY_DAYS = 30

# (share in ‰, timeResult, locationResult, sourceType) for seeded history
_ON_DUTY_MIX = [
    (800, "Normal", "Normal", "USER"),
    (70, "Late", "Normal", "USER"),
    (20, "SeriousLate", "Normal", "USER"),
    (40, "NotSigned", "NotSigned", "SYSTEM"),
    (30, "Normal", "Outside", "USER"),
    (40, "Normal", "Normal", "APPROVE"),
]
_OFF_DUTY_MIX = [
    (820, "Normal", "Normal", "USER"),
    (60, "Early", "Normal", "USER"),
    (40, "NotSigned", "NotSigned", "SYSTEM"),
    (30, "Normal", "Outside", "USER"),
    (50, "Normal", "Normal", "APPROVE"),
]


def _num(*parts: object) -> int:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def day_start_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=CST).timestamp() * 1000)


def day_of(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, CST).date()


@dataclass(frozen=True)
class Punch:
    """One raw punch (listRecord row); `legal` False for invalid punches."""

    userid: str
    check_time_ms: int
    location_result: str = "Normal"
    source_type: str = "USER"
    legal: bool = True
    invalid_type: str | None = None
    invalid_msg: str | None = None


class AttendanceBook:
    """Check results and raw punches of everyone in the directory."""

    def __init__(
        self, clock: Clock, directory: Directory, seed: int = 0, history_end_ms: int | None = None
    ) -> None:
        self._clock = clock
        self._directory = directory
        self.seed = seed
        # Points scheduled before this instant have seeded outcomes; later ones come from punches.
        self.history_end_ms = clock.now_ms() if history_end_ms is None else history_end_ms
        self.history_start = day_of(self.history_end_ms) - dt.timedelta(days=HISTORY_DAYS)
        self._punches: dict[str, list[Punch]] = {}

    def add_punch(
        self, userid: str, check_time_ms: int, *, location_result: str = "Normal", source_type: str = "USER"
    ) -> Punch:
        """Record a punch by a current user (what an attendance_check_record event reports)."""
        self._directory.user(userid)
        punch = Punch(userid, check_time_ms, location_result, source_type)
        with self._directory.lock:
            self._punches.setdefault(userid, []).append(punch)
        return punch

    def results(self, userids: list[str], first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        """attendance/list rows: one per scheduled point, per user in the given order, by day."""
        rows: list[dict[str, Any]] = []
        for userid in dict.fromkeys(userids):
            span = self._employment_span(userid)
            if span is None:
                continue  # unknown userids are silently skipped, as DingTalk does
            day = max(first, span[0])
            while day <= min(last, span[1]):
                if day.weekday() < 5:
                    rows.extend(self._day_rows(userid, day))
                day += dt.timedelta(days=1)
        return rows

    def punches(self, userids: list[str], from_ms: int, to_ms: int) -> list[dict[str, Any]]:
        """listRecord rows: every punch (valid or not) in [from_ms, to_ms], per user in time order."""
        rows: list[dict[str, Any]] = []
        for userid in dict.fromkeys(userids):
            span = self._employment_span(userid)
            if span is None:
                continue
            found: list[Punch] = []
            day = max(day_of(from_ms), span[0])
            while day <= min(day_of(to_ms), span[1]):
                if day.weekday() < 5:
                    found.extend(self._seeded_punches(userid, day))
                day += dt.timedelta(days=1)
            with self._directory.lock:
                found.extend(self._punches.get(userid, []))
            rows.extend(
                self._punch_row(p)
                for p in sorted(found, key=lambda p: p.check_time_ms)
                if from_ms <= p.check_time_ms <= to_ms
            )
        return rows

    # ---- internals ---------------------------------------------------------------------------

    def _employment_span(self, userid: str) -> tuple[dt.date, dt.date] | None:
        with self._directory.lock:
            user = self._directory.users.get(userid)
            if user is None:
                return None
            # Scheduled from the hire date, or from when the sandbox first saw them if it is unset.
            joined = user.hired_date if user.hired_date is not None else user.created_ms
            start = max(self.history_start, day_of(joined))
            end = day_of(user.departed_ms) if user.departed_ms else day_of(self._clock.now_ms())
            return start, end

    def _base_ms(self, day: dt.date, check_type: str) -> int:
        hour, minute = ON_DUTY if check_type == "OnDuty" else OFF_DUTY
        return day_start_ms(day) + (hour * 60 + minute) * 60_000

    def _seeded(self, userid: str, day: dt.date, check_type: str) -> tuple[str, str, str, int | None]:
        """(timeResult, locationResult, sourceType, userCheckTime) of a seeded history point."""
        n = _num(self.seed, userid, day.isoformat(), check_type)
        pick, offset = n % 1000, (n >> 16) % 10_000
        mix = _ON_DUTY_MIX if check_type == "OnDuty" else _OFF_DUTY_MIX
        for share, time_result, location, source in mix:
            if pick < share:
                break
            pick -= share
        base = self._base_ms(day, check_type)
        minute = 60_000
        if time_result == "NotSigned":
            return time_result, location, source, None
        if time_result == "Late":
            return time_result, location, source, base + (1 + offset % SERIOUS_LATE_MIN) * minute
        if time_result == "SeriousLate":
            return time_result, location, source, base + (SERIOUS_LATE_MIN + 1 + offset % 90) * minute
        if time_result == "Early":
            return time_result, location, source, base - (1 + offset % 60) * minute
        if source == "APPROVE":
            return time_result, location, source, base
        sign = -1 if check_type == "OnDuty" else 1
        return time_result, location, source, base + sign * (offset % 45) * minute

    def _judge(self, userid: str, day: dt.date, check_type: str) -> tuple[str, str, str, int | None]:
        """Judge a post-history point from real punches: first before noon is OnDuty, last after is OffDuty."""
        noon = day_start_ms(day) + 13 * 3_600_000
        with self._directory.lock:
            todays = [p for p in self._punches.get(userid, []) if p.legal and day_of(p.check_time_ms) == day]
        base = self._base_ms(day, check_type)
        if check_type == "OnDuty":
            candidates = sorted((p for p in todays if p.check_time_ms < noon), key=lambda p: p.check_time_ms)
        else:
            candidates = sorted(
                (p for p in todays if p.check_time_ms >= noon), key=lambda p: -p.check_time_ms
            )
        if not candidates:
            return "NotSigned", "NotSigned", "SYSTEM", None
        punch = candidates[0]
        late_min = (punch.check_time_ms - base) / 60_000
        if check_type == "OnDuty":
            result = "Normal" if late_min <= 0 else "Late" if late_min <= SERIOUS_LATE_MIN else "SeriousLate"
        else:
            result = "Normal" if late_min >= 0 else "Early"
        return result, punch.location_result, punch.source_type, punch.check_time_ms

    def _day_rows(self, userid: str, day: dt.date) -> list[dict[str, Any]]:
        rows = []
        for check_type in ("OnDuty", "OffDuty"):
            base = self._base_ms(day, check_type)
            judge = self._seeded if base < self.history_end_ms else self._judge
            time_result, location, source, user_time = judge(userid, day, check_type)
            if user_time is None and base > self._clock.now_ms():
                continue  # a check point still ahead has no result yet, not a NotSigned one
            row_id = _num("result", self.seed, userid, day.isoformat(), check_type) % 10**11
            row: dict[str, Any] = {
                "id": row_id,
                "userId": userid,
                "groupId": GROUP_ID,
                "planId": PLAN_BASE + row_id % 10**7,
                "workDate": day_start_ms(day),
                "checkType": check_type,
                "timeResult": time_result,
                "locationResult": location,
                "baseCheckTime": base,
                "userCheckTime": user_time if user_time is not None else base,
                "sourceType": source,
            }
            if user_time is not None and source != "APPROVE":
                row["recordId"] = _num("punch", self.seed, userid, user_time) % 10**11
            if source == "APPROVE":
                row["procInstId"] = f"sandbox-leave-{_num(self.seed, userid, day.isoformat()) % 10**12:012d}"
                row["approveId"] = _num("approve", userid, day.isoformat()) % 10**9
            rows.append(row)
        return rows

    def _seeded_punches(self, userid: str, day: dt.date) -> list[Punch]:
        punches = []
        for check_type in ("OnDuty", "OffDuty"):
            if self._base_ms(day, check_type) >= self.history_end_ms:
                continue
            _result, location, source, user_time = self._seeded(userid, day, check_type)
            if user_time is not None and source != "APPROVE":
                punches.append(Punch(userid, user_time, location, source))
        n = _num("invalid", self.seed, userid, day.isoformat())
        if n % 100 < 3 and self._base_ms(day, "OnDuty") < self.history_end_ms:
            kind = "Security" if n % 2 else "Other"
            message = "疑似作弊：虚拟定位" if kind == "Security" else "不在考勤时间范围内"
            punches.append(
                Punch(
                    userid,
                    self._base_ms(day, "OnDuty") + 3 * 3_600_000 + n % 3_600_000,
                    "Outside",
                    "USER",
                    False,
                    kind,
                    message,
                )
            )
        return punches

    def _punch_row(self, punch: Punch) -> dict[str, Any]:
        day = day_of(punch.check_time_ms)
        check_type = "OnDuty" if punch.check_time_ms < day_start_ms(day) + 13 * 3_600_000 else "OffDuty"
        base = self._base_ms(day, check_type)
        record_id = _num("punch", self.seed, punch.userid, punch.check_time_ms) % 10**11
        row: dict[str, Any] = {
            "id": record_id,
            "userId": punch.userid,
            "groupId": GROUP_ID,
            "planId": PLAN_BASE + record_id % 10**7,
            "classId": CLASS_ID,
            "workDate": day_start_ms(day),
            "checkType": check_type,
            "baseCheckTime": base,
            "planCheckTime": base,
            "userCheckTime": punch.check_time_ms,
            "locationResult": punch.location_result,
            "sourceType": punch.source_type,
            "locationMethod": "MAP",
            "userAddress": "杭州市余杭区文一西路969号"
            if punch.location_result == "Normal"
            else "杭州市西湖区",
            "userLatitude": 30.28,
            "userLongitude": 120.02,
            "userAccuracy": 30,
            "baseAddress": "杭州市余杭区文一西路969号",
            "baseLatitude": 30.28,
            "baseLongitude": 120.02,
            "baseAccuracy": 100,
            "deviceId": f"dev{_num(punch.userid) % 10**8:08d}",
            "isLegal": "Y" if punch.legal else "N",
            "gmtCreate": punch.check_time_ms,
            "gmtModified": punch.check_time_ms,
        }
        if not punch.legal:
            row["invalidRecordType"] = punch.invalid_type
            row["invalidRecordMsg"] = punch.invalid_msg
        return row
