"""deploy/: the compose file, its image and nginx agree with the bot they run (the tests start the
processes themselves, without Docker: tests/test_workers.py)."""

from __future__ import annotations

import re

from bot.cli import build_parser
from bot.settings import Settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_the_compose_file_runs_commands_the_bot_has() -> None:
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    commands = set(re.findall(r'command: \["([a-z-]+)"\]', compose))
    assert commands == {"ingress", "worker"}
    known = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert commands <= set(known)
    assert "replicas: 2" in compose  # two workers
    assert "DATABASE_URL: postgresql://" in compose and "image: postgres:" in compose and "image: nginx:" in compose


def test_the_settings_the_deploy_files_name_exist() -> None:
    names = re.findall(r"^([A-Z_]+)=", (DEPLOY / "env.example").read_text(encoding="utf-8"), re.MULTILINE)
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    names += re.findall(r"^\s+([A-Z_]+): ", compose, re.MULTILINE)
    fields = {name.upper() for name in Settings.model_fields}
    postgres_image = {"POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB"}
    assert set(names) - postgres_image <= fields, set(names) - postgres_image - fields


def test_the_image_holds_every_package_and_nginx_serves_the_webhook_path() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for package in ("bot", "handlers", "storage"):
        assert f"COPY {package} {package}" in dockerfile
    webhook_url = re.search(r"^WEBHOOK_URL=https://[^/]+(/\S+)$", (DEPLOY / "env.example").read_text(), re.MULTILINE)
    assert webhook_url is not None
    assert f"location = {webhook_url.group(1)} " in (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "server ingress:8443;" in (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
