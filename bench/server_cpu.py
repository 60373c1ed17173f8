"""CPU used by a PostgreSQL server on this machine, for benchmarks whose work partly runs in the server.

Reads /proc: the postmaster's own and reaped children's CPU plus that of its live processes (backends,
parallel workers). Counts the whole server, so run benchmarks against a server of their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from dingperf.store.engine import open_store


def _proc_stat(pid: int) -> tuple[str, int, int, int]:
    """(command, parent pid, own CPU ticks, reaped children's CPU ticks) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    command = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()  # fields[k - 3] is field k of proc(5)
    return command, int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def server_cpu_probe(url: str) -> Callable[[], float] | None:
    """A function giving the CPU seconds a PostgreSQL server on this machine has used so far (postmaster,
    its live processes and the ones it reaped), or None (SQLite, a remote server, no /proc)."""
    if not url.startswith("postgresql") or not os.path.isdir("/proc"):
        return None
    store = open_store(url)
    try:
        if store.engine.url.host not in (None, "", "localhost", "127.0.0.1", "::1"):
            return None
        with store.engine.connect() as conn:
            backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        command, postmaster, _, _ = _proc_stat(backend)
        if not command.startswith("postgres") or not _proc_stat(postmaster)[0].startswith("postgres"):
            return None
    except OSError:
        return None
    finally:
        store.dispose()
    tick = os.sysconf("SC_CLK_TCK")

    def sample() -> float:
        _, _, own, reaped = _proc_stat(postmaster)
        ticks = own + reaped
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    _, parent, used, _ = _proc_stat(int(entry))
                except (OSError, ValueError):
                    continue  # exited meanwhile
                if parent == postmaster:
                    ticks += used
        return ticks / tick

    return sample
