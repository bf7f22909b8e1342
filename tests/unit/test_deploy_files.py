"""The deployment files agree with the code and with each other.

No Docker here: compose.yaml is parsed, the Dockerfile's instructions are read, the systemd unit's
keys are checked, and nginx itself checks the proxy configuration (``nginx -t`` on the same
rendering the end-to-end tests run).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.nginx import TEMPLATE, Nginx, find_nginx, render
from typer.testing import CliRunner

from bot.api.server import SHUTDOWN_GRACE_SECONDS
from bot.cli import app
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
NGINX_UPSTREAM = re.compile(r"^\s*server (worker\d+):(\d+)\b", re.M)


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def workers(services: dict[str, Any]) -> dict[str, Any]:
    return {name: s for name, s in services.items() if re.fullmatch(r"worker\d+", name)}


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in joined.splitlines()
        if line.strip()
    ]


def test_compose_runs_postgres_a_migration_workers_and_nginx() -> None:
    services = compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    migrate = services["migrate"]
    assert migrate["command"] == ["opsbot", "db", "upgrade"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    nodes = workers(services)
    assert len(nodes) >= 2
    for worker in nodes.values():
        env = worker["environment"]
        assert env["OPSBOT_MODE"] == "webhook" and env["DATABASE_URL"].startswith("postgresql")
        assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert worker["stop_signal"] == "SIGTERM"
    nginx = services["nginx"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert set(nginx["depends_on"]) == set(nodes)


def test_nginx_upstream_names_exactly_the_compose_workers_on_their_port() -> None:
    services = compose()["services"]
    upstream = NGINX_UPSTREAM.findall(TEMPLATE.read_text(encoding="utf-8"))
    assert sorted(name for name, _ in upstream) == sorted(workers(services))
    for name, port in upstream:
        assert workers(services)[name]["environment"]["OPSBOT_HTTP_PORT"] == port


def test_every_environment_variable_in_compose_is_one_the_bot_reads() -> None:
    known = {name.upper() for name in Settings.model_fields}
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot").glob("*.py"))
    for worker in workers(compose()["services"]).values():
        for name in worker["environment"]:
            assert name in known or f'"{name}"' in sources, f"{name} is read by nothing"


def test_stop_grace_outlasts_the_http_drain() -> None:
    for worker in workers(compose()["services"]).values():
        assert int(worker["stop_grace_period"].rstrip("s")) > SHUTDOWN_GRACE_SECONDS


def test_dockerfile_is_multi_stage_non_root_with_a_healthcheck_and_the_webhook_command() -> None:
    steps = dockerfile()
    stages = [args for op, args in steps if op == "FROM"]
    assert len(stages) == 2 and all(s.startswith("python:3.11-slim") for s in stages)
    assert any(op == "RUN" and "pip wheel" in args for op, args in steps)
    assert any(op == "COPY" and args.startswith("--from=build /wheels") for op, args in steps)
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in {"root", "0"}
    (health,) = [args for op, args in steps if op == "HEALTHCHECK"]
    probe = json.loads(health.split(" CMD ", 1)[1])  # exec form: invalid JSON would be a shell
    assert probe[:2] == ["python", "-c"] and "/healthz" in probe[2]
    compile(probe[2], "HEALTHCHECK", "exec")
    (cmd,) = [args for op, args in steps if op == "CMD"]
    assert json.loads(cmd) == ["opsbot", "run", "--webhook"]


@pytest.mark.parametrize("command", [["db", "upgrade"], ["run", "--webhook"]])
def test_the_commands_the_deployment_runs_exist(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output


def test_systemd_unit_runs_a_webhook_worker_that_drains_on_sigterm() -> None:
    text = (ROOT / "deploy" / "opsbot.service").read_text(encoding="utf-8")
    keys: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key.strip(), []).append(value.strip())
    assert keys["ExecStart"] == ["/opt/opsbot/bin/opsbot run --webhook"]
    assert keys["Restart"] == ["on-failure"] and keys["KillSignal"] == ["SIGTERM"]
    assert int(keys["TimeoutStopSec"][0]) > SHUTDOWN_GRACE_SECONDS
    assert keys["EnvironmentFile"] and keys["User"] != ["root"]


def test_rendering_replaces_only_addresses_paths_and_logs(tmp_path: Path) -> None:
    template = TEMPLATE.read_text(encoding="utf-8")
    text = render(template, listen_port=18080, upstream_ports=[18081, 18082], workdir=tmp_path)
    assert "listen 127.0.0.1:18080;" in text and "worker1" not in text
    assert "server 127.0.0.1:18082 max_fails=1 fail_timeout=5s;" in text
    for kept in (
        "proxy_next_upstream error timeout http_502 http_503 non_idempotent;",
        "keepalive 32;",
        "location = /telegram/webhook",
    ):
        assert kept in text


async def test_nginx_accepts_the_rendered_configuration(tmp_path: Path) -> None:
    if find_nginx() is None:
        pytest.skip("nginx is not installed: run `make system-deps` (installs the Debian package)")
    out = await Nginx([18081, 18082, 18083], tmp_path).check()
    assert "syntax is ok" in out
