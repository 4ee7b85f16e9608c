"""docker-compose.yml, Dockerfile and docs/docker.md are checked against the code (no Docker engine needed).

The compose file is not run here: these tests check that what it names exists in genekb
(settings, CLI commands, routes, the Elasticsearch client pin) and that it is wired together.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main
import yaml
from fastapi.testclient import TestClient
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from api.app import create_app
from cli.main import app as kb_app
from kb.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKER_DOC = REPO / "docs" / "docker.md"

ES_SERVICE = "elasticsearch"
ES_HTTP_PORT = 9200  # Elasticsearch's default http.port
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def interpolate(value: Any) -> Any:
    """Resolve compose ``${VAR:-default}`` interpolation to the defaults, recursively (no host env is read)."""
    if isinstance(value, str):
        return INTERPOLATION.sub(lambda m: m.group(2) or "", value).replace("$$", "$")
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    return value


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as compose sees it with an empty host environment."""
    raw = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    resolved: dict[str, Any] = interpolate(raw)
    return resolved


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    """One service's definition."""
    found: dict[str, Any] = compose["services"][name]
    return found


def environment(svc: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, from either the mapping or the ``KEY=value`` list form."""
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def argv(command: str | list[str]) -> list[str]:
    """A compose ``command``/``test`` in either the string or the list form, as a list of words."""
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def container_port(mapping: str) -> int:
    """The container side of a short-syntax port mapping (``[ip:]host:container[/proto]``)."""
    return int(str(mapping).rsplit(":", 1)[-1].split("/")[0])


def parse_kb(args: list[str]) -> Any:
    """Parse ``kb ARGS`` exactly as the CLI would (choices, options) and return the click context, without running."""
    assert args[:1] == ["kb"], args
    command: Any = typer.main.get_command(kb_app)
    name, rest = "kb", args[1:]
    while hasattr(command, "commands"):  # a command group (typer ships its own click, so no isinstance)
        assert rest, f"{name} needs a subcommand"
        sub = command.commands.get(rest[0])
        assert sub is not None, f"{name} {rest[0]!r} is not a kb command; known: {sorted(command.commands)}"
        name, command, rest = f"{name} {rest[0]}", sub, rest[1:]
    return command.make_context(name, rest)


def kb_fields() -> set[str]:
    """The environment variables genekb reads: one per field of ``Settings``."""
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    return {f"{prefix}{name.upper()}" for name in Settings.model_fields}


def test_the_file_is_compose_with_the_four_services(compose: dict[str, Any]) -> None:
    assert "version" not in compose
    assert set(compose["services"]) == {"elasticsearch", "api", "ingest", "update"}


def test_every_kb_variable_is_a_setting_and_the_settings_load(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = kb_fields()
    for name, svc in compose["services"].items():
        unknown = sorted(key for key in environment(svc) if key.startswith("KB_") and key not in fields)
        assert unknown == [], f"{name} sets {unknown}, which kb.settings.Settings does not read"
    for name in ("ingest", "api", "update"):
        env = environment(service(compose, name))
        for key in [key for key in os.environ if key.startswith("KB_")]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = load_settings()
        assert settings.store == env["KB_STORE"]
        assert settings.data_dir == Path(env["KB_DATA_DIR"])
        assert settings.work_dir == Path(env["KB_WORK_DIR"])
        assert settings.port == int(env["KB_PORT"])


def test_kb_store_names_the_elasticsearch_service_and_its_port(compose: dict[str, Any]) -> None:
    es = service(compose, ES_SERVICE)
    es_ports = {container_port(p) for p in es["ports"]}
    listens = int(environment(es).get("http.port", ES_HTTP_PORT))
    assert listens in es_ports
    for name in ("ingest", "api"):
        url = urlsplit(environment(service(compose, name))["KB_STORE"])
        assert (url.scheme, url.hostname, url.port) == ("http", ES_SERVICE, listens), f"{name}: {url.geturl()}"


def test_the_api_healthcheck_asks_a_real_route_on_the_served_port(compose: dict[str, Any], tmp_path: Path) -> None:
    api = service(compose, "api")
    port = int(environment(api)["KB_PORT"])
    assert port in {container_port(p) for p in api["ports"]}
    assert argv(api["command"])[:2] == ["kb", "serve"]
    parse_kb(argv(api["command"]))
    urls = re.findall(r"https?://[^\s'\"]+", " ".join(argv(api["healthcheck"]["test"])))
    assert len(urls) == 1, urls
    url = urlsplit(urls[0])
    assert (url.hostname, url.port) == ("localhost", port)
    # the app is built without entering its lifespan, so no store is opened: /v1/health must answer anyway
    health = TestClient(create_app(load_settings(store=f"sqlite:///{tmp_path / 'x.sqlite3'}"), embed=False))
    response = health.get(url.path)
    assert response.status_code == 200, response.text


def test_the_elasticsearch_image_major_matches_the_client_pin(compose: dict[str, Any]) -> None:
    image = service(compose, ES_SERVICE)["image"]
    match = re.fullmatch(r"docker\.elastic\.co/elasticsearch/elasticsearch:(\d+)\.\d+\.\d+", image)
    assert match, f"not a pinned full-distribution Elasticsearch image: {image}"
    major = int(match.group(1))
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(dep) for dep in project["dependencies"]]
    pins = [req for req in requirements if canonicalize_name(req.name) == "elasticsearch"]
    assert pins, f"pyproject.toml has no elasticsearch client pin; add 'elasticsearch>={major},<{major + 1}'"
    spec = pins[0].specifier
    admitted = {m for m in (major - 1, major, major + 1) for minor in range(100) if spec.contains(f"{m}.{minor}")}
    assert admitted == {major}, (
        f"the client pin {pins[0]} admits majors {sorted(admitted)}; the image {image} is {major}"
    )


def test_the_jobs_wait_for_a_healthy_elasticsearch_and_volumes_are_declared(compose: dict[str, Any]) -> None:
    for name in ("ingest", "api"):
        assert service(compose, name)["depends_on"][ES_SERVICE]["condition"] == "service_healthy", name
    assert service(compose, "api")["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    for name in (ES_SERVICE, "api"):
        assert {"test", "interval", "retries", "start_period"} <= set(service(compose, name)["healthcheck"]), name
    declared = set(compose.get("volumes") or {})
    for name, svc in compose["services"].items():
        for volume in svc.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} uses the undeclared volume {source!r}"


def test_the_ingest_job_runs_a_real_kb_command_once(compose: dict[str, Any]) -> None:
    ingest = service(compose, "ingest")
    assert ingest["restart"] == "no"  # a string: unquoted `no` would be YAML false
    ctx = parse_kb(argv(ingest["command"]))
    assert ctx.params["source"] == "all" and ctx.params["if_empty"] is True
    assert any(str(v).endswith(":/data:ro") for v in ingest["volumes"]), "the source data is mounted read-only"


def test_the_update_service_runs_kb_update_daily_after_the_first_load(compose: dict[str, Any]) -> None:
    update = service(compose, "update")
    shell, flag, script = argv(update["command"])
    assert (shell, flag) == ("sh", "-c") and script.startswith("while true; do kb update")
    loop = re.fullmatch(r"while true; do (kb update[^|]*) \|\| .*; sleep (\d+); done", script)
    assert loop, script
    assert parse_kb(loop.group(1).split()).params["progress"] is False and int(loop.group(2)) == 24 * 3600
    assert update["restart"] == "unless-stopped"
    assert update["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    assert update["depends_on"][ES_SERVICE]["condition"] == "service_healthy"


def test_the_dockerfile_is_python_311_and_not_root() -> None:
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    steps = [[*line.split(maxsplit=1), ""] for line in lines if line[:1].isalpha()]  # [INSTRUCTION, args, ...]
    bases = [args for word, args, *_ in steps if word.upper() == "FROM"]
    assert bases and re.fullmatch(r"python:3\.11(\.\d+)?(-slim)?", bases[-1].split()[0]), bases
    users = [args for word, args, *_ in steps if word.upper() == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}, users
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "var", ".git"} <= set(ignored)


def test_the_kb_commands_in_docs_docker_md_exist() -> None:
    text = DOCKER_DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S)
    commands = [
        ["kb", *shlex.split(line.split(" kb ", 1)[1], comments=True)]
        for block in blocks
        for line in block.splitlines()
        if " kb " in line
    ]
    assert commands, "docs/docker.md shows no kb command"
    for command in commands:
        parse_kb(command)


def test_users_and_tests_run_the_same_elasticsearch_version(compose: dict[str, Any]) -> None:
    image = compose["services"]["elasticsearch"]["image"]
    script = (REPO / "scripts" / "es.sh").read_text(encoding="utf-8")
    pinned = re.search(r'ES_VERSION="\$\{ES_VERSION:-([0-9.]+)\}"', script)
    assert pinned is not None, "scripts/es.sh has no default ES_VERSION"
    assert image.rsplit(":", 1)[1] == pinned.group(1)
