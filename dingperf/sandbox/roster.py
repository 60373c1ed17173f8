"""Who is in the org, as the outbound side needs it: is a userid current, who is under a department.

Reads the company directory (directory.py), so messages to unknown or departed users fail the
way DingTalk fails them.
"""

from __future__ import annotations

from typing import Any

from dingperf.sandbox.directory import Directory, UnknownDepartment, UnknownUser


class Roster:
    """Read-only view of a Directory for recipient resolution."""

    def __init__(self, directory: Directory) -> None:
        self._d = directory

    def is_active_user(self, userid: str) -> bool:
        try:
            self._d.user(userid)
        except UnknownUser:
            return False
        return True

    def users_under(self, dept_id: int) -> list[str] | None:
        """Current members of the department and all its sub-departments; None if it doesn't exist."""
        try:
            stack, seen = [dept_id], []
            while stack:
                current = stack.pop()
                seen.extend(self._d.member_ids(current))
                stack.extend(self._d.child_ids(current))
        except UnknownDepartment:
            return None
        return list(dict.fromkeys(seen))

    def all_active_userids(self) -> list[str]:
        return self._d.active_userids()


def roster_of(state: Any) -> Roster:
    """The roster of a sandbox state's company directory."""
    return Roster(state.directory)
