"""nginx in front of local workers, rendered from the production file ``deploy/nginx.conf``.

Only what ties the file to a deployment is replaced: the listen address (a free local port), the
upstream servers (the given local ports, with the production parameters), the pid file, the logs
and the temporary directories (all in ``workdir``), and the user (the current one). Everything
else - timeouts, retries to the next worker, keepalive, the public locations - is the file as
shipped, so the tests exercise the configuration operators deploy. A substitution that no longer
finds its line raises, rather than quietly testing something else.

    nginx = Nginx([8101, 8102], tmp_path / "nginx")
    await nginx.start()
    ... POST to f"{nginx.url}/telegram/webhook" ...
    await nginx.stop()
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shutil
import signal
import socket
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx.conf"
DEBIAN_NGINX = "/usr/sbin/nginx"
MISSING = "nginx is not installed: run `make system-deps` (installs the Debian package)"
_UPSTREAM_SERVER = re.compile(r"^(?P<indent>[ \t]*)server worker\d+:8080(?P<params>[^;]*);\n", re.M)
_TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class NginxError(RuntimeError):
    """nginx refused the configuration or stopped; the message carries its own words."""


def find_nginx() -> str | None:
    """The nginx binary: the Debian package's, or one on PATH; None when there is none."""
    if os.access(DEBIAN_NGINX, os.X_OK):
        return DEBIAN_NGINX
    return shutil.which("nginx")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise ValueError(f"{TEMPLATE.name}: expected exactly one {old!r}")
    return text.replace(old, new)


def render(
    template: str,
    *,
    listen_port: int,
    upstream_ports: Sequence[int],
    workdir: Path,
    worker_processes: int = 1,
) -> str:
    """The production configuration, pointed at local ports and files under ``workdir``."""
    if not upstream_ports:
        raise ValueError("at least one upstream port")
    servers = list(_UPSTREAM_SERVER.finditer(template))
    if not servers:
        raise ValueError(f"{TEMPLATE.name}: no `server workerN:8080 ...;` line in the upstream")
    indent, params = servers[0]["indent"], servers[0]["params"]
    local = "".join(f"{indent}server 127.0.0.1:{port}{params};\n" for port in upstream_ports)
    text = template[: servers[0].start()] + local + template[servers[-1].end() :]
    if _UPSTREAM_SERVER.search(text):
        raise ValueError(f"{TEMPLATE.name}: the upstream servers must be consecutive lines")
    temp_paths = "".join(f"\n    {name}_temp_path {workdir / name};" for name in _TEMP_DIRS)
    text = _replace_once(text, "worker_processes auto;", f"worker_processes {worker_processes};")
    text = _replace_once(text, "pid /run/nginx.pid;", f"pid {workdir / 'nginx.pid'};")
    text = _replace_once(
        text, "error_log /dev/stderr warn;", f"error_log {workdir / 'error.log'} warn;"
    )
    text = _replace_once(
        text,
        "access_log /dev/stdout opsbot;",
        f"access_log {workdir / 'access.log'} opsbot;{temp_paths}",
    )
    text = _replace_once(text, "listen 80;", f"listen 127.0.0.1:{listen_port};")
    if os.geteuid() == 0:
        # A root master would run its workers as "nobody", who cannot enter a private tmp dir.
        text = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" + text
    return text


async def _run(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return int(proc.returncode or 0), out.decode(errors="replace")


class Nginx:
    """One nginx (master + workers) in the foreground, listening on 127.0.0.1:``port``."""

    def __init__(
        self,
        upstream_ports: Sequence[int],
        workdir: Path,
        *,
        port: int | None = None,
        worker_processes: int = 1,
        binary: str | None = None,
    ) -> None:
        found = binary or find_nginx()
        if found is None:
            raise NginxError(MISSING)
        self.binary = found
        self.workdir = workdir
        self.port = port or free_port()
        self.upstream_ports = list(upstream_ports)
        self.worker_processes = worker_processes
        self.conf = workdir / "nginx.conf"
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            render(
                TEMPLATE.read_text(encoding="utf-8"),
                listen_port=self.port,
                upstream_ports=self.upstream_ports,
                workdir=self.workdir,
                worker_processes=self.worker_processes,
            ),
            encoding="utf-8",
        )
        return self.conf

    def _args(self, *extra: str) -> list[str]:
        return [self.binary, "-p", f"{self.workdir}/", "-c", str(self.conf), *extra]

    async def check(self) -> str:
        """``nginx -t`` on the rendered file: its output, or NginxError with it."""
        self.write_config()
        code, out = await _run(*self._args("-t"))
        if code != 0:
            raise NginxError(f"nginx -t failed:\n{out}")
        return out

    async def start(self, timeout: float = 10.0) -> None:
        self.write_config()
        # Until it has read its configuration nginx reports to stderr: keep that too.
        with (self.workdir / "stderr.log").open("wb") as stderr:
            self._proc = await asyncio.create_subprocess_exec(
                *self._args("-g", "daemon off;"), stdout=asyncio.subprocess.DEVNULL, stderr=stderr
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await self._accepts():
            if self._proc.returncode is not None or loop.time() > deadline:
                await self.stop()
                raise NginxError(f"nginx did not start:\n{self.errors()}")
            await asyncio.sleep(0.02)

    async def _accepts(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    async def stop(self) -> None:
        """Stop at once (SIGTERM: nginx's fast shutdown) and wait for the master to exit."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()

    def errors(self) -> str:
        logs = (self.workdir / "stderr.log", self.error_log)
        return "".join(path.read_text(errors="replace") for path in logs if path.exists())

    def access_lines(self) -> list[str]:
        if not self.access_log.exists():
            return []
        return self.access_log.read_text(errors="replace").splitlines()

    async def __aenter__(self) -> Nginx:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()
