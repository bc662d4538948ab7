"""A throw-away PostgreSQL cluster for the tests' PostgreSQL pass.

`ARTICLEBOT_TEST_DATABASE=postgresql pytest …` runs the tests that take the `database`
fixture on PostgreSQL: each test worker starts its own cluster (initdb into a temporary
folder, on a free loopback port, without fsync) with one migrated database, which each
test gets as new: every table emptied, identities restarted, the rows the migrations seed
put back (in milliseconds, where copying a template database takes a third of a second).
The cluster is stopped and its folder removed when the worker ends. As root, the server
runs as an unprivileged user, as PostgreSQL requires.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import asyncpg

BACKEND = os.environ.get("ARTICLEBOT_TEST_DATABASE", "sqlite")
DATABASE = "articlebot_test"


def binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(f"{name} not found: install PostgreSQL (15 or later) to run this pass")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="articlebot-pg-"))
        self.port = 0
        self.user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as another user
            owner = "postgres" if _user_exists("postgres") else "nobody"
            shutil.chown(self.folder, owner)
            self.user = ["runuser", "-u", owner, "--"]
        self.seeded: dict[str, list[asyncpg.Record]] | None = None  # table: rows migrated

    def start(self) -> None:
        data = self.folder / "data"
        self._run(
            binary("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
        )  # fmt: skip
        for _ in range(5):  # another run may take the free port first
            self.port = free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 "
                f"-c unix_socket_directories={self.folder} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            )
            started = self._run(
                binary("pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "30",
                "-l", str(self.folder / "log"), "start", check=False,
            )  # fmt: skip
            if started.returncode == 0:
                return
        raise RuntimeError("the test cluster did not start: " + self.log())

    def stop(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self._run(
                binary("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop",
                check=False,
            )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / "log").read_text()[-2000:]
        return ""

    async def fresh_database(self) -> str:
        """The URL of the worker's database, as a newly migrated one is."""
        if self.seeded is None:
            await self._create_and_migrate()
        conn = await asyncpg.connect(self.url(DATABASE))
        try:
            assert self.seeded is not None
            async with conn.transaction():
                tables = ", ".join(f'"{table}"' for table in self.seeded)
                await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
                for table, rows in self.seeded.items():
                    if rows:
                        await conn.copy_records_to_table(table, records=rows)
        finally:
            await conn.close()
        return self.url(DATABASE)

    async def create(self, name: str) -> str:
        """A new, empty database (the store's schema comes with its first Storage.open)."""
        admin = await asyncpg.connect(self.url("postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return self.url(name)

    def server_cpu(self) -> float:
        """CPU seconds the cluster's processes have used so far: the server's own, its
        live backends', and those of the backends it has reaped (their connections gone)."""
        postmaster = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(stat.parent.name) == postmaster:
                    ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
                elif int(fields[1]) == postmaster:
                    ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    async def _create_and_migrate(self) -> None:
        from storage import Storage

        await (await Storage.open(await self.create(DATABASE))).close()
        conn = await asyncpg.connect(self.url(DATABASE))
        try:
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename != 'schema_version'"
            )
            self.seeded = {
                row[0]: list(await conn.fetch(f'SELECT * FROM "{row[0]}"')) for row in tables
            }
        finally:
            await conn.close()

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.user, *command], capture_output=True, text=True, check=check, timeout=60
        )


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


if __name__ == "__main__":  # `python -m tests.postgres`: is there a PostgreSQL to test on?
    try:
        print("PostgreSQL pass on", binary("initdb"))
    except RuntimeError as missing:
        raise SystemExit(str(missing)) from None
