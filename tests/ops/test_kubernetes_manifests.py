"""The Kubernetes manifests (deploy/kubernetes), rendered as `kubectl apply -k` would, checked
offline against the Kubernetes API's schemas, and held to what running taskhub there needs.

No kustomize here: `render` builds a kustomization itself. It knows the fields the
kustomizations use (resources, namespace, images, JSON 6902 patches), refuses any other, and
treats an `images` entry or a patch that changes nothing as the mistake it would be, so a
kustomization can never mean more than these tests see.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml  # type: ignore[import-untyped]

from taskhub.entrypoints.settings import PRODUCTION_SHUTDOWN_DRAIN_SECONDS, Settings, SettingsError
from tests.ops.test_env_example import variables_settings_reads

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
KUSTOMIZATIONS = {"base": KUBERNETES / "base", "production": KUBERNETES / "overlays" / "production"}
SECRET_TEMPLATE = KUBERNETES / "base" / "secret.example.yaml"
# The oldest Kubernetes the manifests are written for (a CronJob's timeZone is GA from 1.27), and
# the newest whose schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.27", kubernetes_validate.latest_version())
SECRET_SETTINGS = frozenset({"DATABASE_URL", "BETTER_AUTH_SECRET", "BETTER_AUTH_URL", "REDIS_URL"})
PLACEHOLDER = "CHANGE-ME"
WORKLOAD_COMMANDS = {
    "Deployment": ["taskhub", "serve"],
    "Job": ["taskhub", "migrate"],
    "CronJob": ["taskhub", "purge"],
}

Manifest = dict[str, Any]


# --- Rendering ---------------------------------------------------------------------------------

_KUSTOMIZATION_FIELDS = frozenset({"apiVersion", "kind", "resources", "namespace", "images", "patches"})


def render(directory: Path) -> list[Manifest]:
    kustomization = _load_all(directory / "kustomization.yaml")[0]
    unknown = kustomization.keys() - _KUSTOMIZATION_FIELDS
    assert not unknown, f"{directory}: render() does not know {sorted(unknown)}; teach it first"
    manifests: list[Manifest] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        manifests += render(path) if path.is_dir() else _load_all(path)
    # kustomize's order: patches, then the namespace, then images.
    for patch in kustomization.get("patches", []):
        _apply_patch(manifests, patch)
    if "namespace" in kustomization:
        for manifest in manifests:
            manifest["metadata"]["namespace"] = kustomization["namespace"]
    for image in kustomization.get("images", []):
        _set_image(manifests, image)
    return manifests


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML keeps the last of a key given twice; kustomize refuses the file, and so does this."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        repeated = sorted({str(key) for key in keys if keys.count(key) > 1})
        if repeated:
            raise yaml.constructor.ConstructorError(None, None, f"repeated keys {repeated}", node.start_mark)
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


def _load_all(path: Path) -> list[Manifest]:
    return [document for document in yaml.load_all(path.read_text(), Loader=_Loader) if document is not None]


def _apply_patch(manifests: list[Manifest], patch: dict[str, Any]) -> None:
    assert patch.keys() == {"target", "patch"}, f"render() knows inline patches with a target: {patch}"
    assert patch["target"].keys() <= {"kind", "name"}, f"render() targets by kind and name: {patch}"
    operations = yaml.load(patch["patch"], Loader=_Loader)  # noqa: S506 - a safe loader
    assert isinstance(operations, list), f"render() knows JSON 6902 patches only: {patch}"
    targets = [m for m in manifests if all(_identity(m)[k] == v for k, v in patch["target"].items())]
    assert targets, f"a patch matches no resource: {patch['target']}"
    for target in targets:
        for operation in operations:
            _apply_operation(target, operation)


def _identity(manifest: Manifest) -> dict[str, str]:
    return {"kind": manifest["kind"], "name": manifest["metadata"]["name"]}


def _apply_operation(document: Any, operation: dict[str, Any]) -> None:
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
    for part in parents:
        document = document[int(part)] if isinstance(document, list) else document[part]
    key: Any = int(last) if isinstance(document, list) and last != "-" else last
    if operation["op"] == "add" and isinstance(document, list):
        document.insert(len(document) if key == "-" else key, operation["value"])
    elif operation["op"] in {"add", "replace"}:
        assert operation["op"] == "add" or key in document, f"nothing to replace at {operation['path']}"
        document[key] = operation["value"]
    elif operation["op"] == "remove":
        del document[key]
    else:
        raise AssertionError(f"render() does not know the operation {operation['op']!r}")


def _set_image(manifests: list[Manifest], entry: dict[str, str]) -> None:
    assert entry.keys() <= {"name", "newName", "newTag", "digest"}, f"unknown images field: {entry}"
    changed = 0
    for _, _, container in _containers(manifests):
        name, tag, digest = _split_image(container["image"])
        if name != entry["name"]:
            continue
        name = entry.get("newName", name)
        if "digest" in entry:
            tag, digest = "", entry["digest"]
        elif "newTag" in entry:
            tag, digest = entry["newTag"], ""
        container["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
        changed += 1
    # kustomize matches the name the resources carry by then, which a base may already have changed.
    assert changed, f"the images entry {entry['name']!r} matches no container"


def _split_image(image: str) -> tuple[str, str, str]:
    reference, _, digest = image.partition("@")
    # A tag is after the last colon of the last path segment; a registry's port is in the first.
    head, slash, last = reference.rpartition("/")
    last, _, tag = last.partition(":")
    return head + slash + last, tag, digest


# --- Reading the manifests ---------------------------------------------------------------------


def _pod_template(manifest: Manifest) -> dict[str, Any] | None:
    if manifest["kind"] not in WORKLOAD_COMMANDS:
        return None
    spec = manifest["spec"]
    if manifest["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template: dict[str, Any] = spec["template"]
    return template


def _pod_spec(manifest: Manifest) -> dict[str, Any] | None:
    template = _pod_template(manifest)
    return None if template is None else template["spec"]


def _containers(manifests: list[Manifest]) -> Iterator[tuple[Manifest, dict[str, Any], dict[str, Any]]]:
    """(workload, its pod spec, container) for every container and init container."""
    for manifest in manifests:
        pod = _pod_spec(manifest)
        if pod is not None:
            for container in pod.get("initContainers", []) + pod["containers"]:
                yield manifest, pod, container


def _all_containers(manifests: list[Manifest]) -> list[tuple[Manifest, dict[str, Any], dict[str, Any]]]:
    found = list(_containers(manifests))
    assert {workload["kind"] for workload, _, _ in found} == WORKLOAD_COMMANDS.keys()
    return found


def _one(manifests: list[Manifest], kind: str) -> Manifest:
    [manifest] = [m for m in manifests if m["kind"] == kind]
    return manifest


def _api_container(manifests: list[Manifest]) -> dict[str, Any]:
    [container] = _one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def _configured_port(manifests: list[Manifest]) -> int:
    return int(_one(manifests, "ConfigMap")["data"].get("PORT", Settings().port))


def _container_port(container: dict[str, Any], port: int | str) -> int:
    """A port as a probe or a Service names it (its name or its number), as the container declares it."""
    [number] = [
        p["containerPort"] for p in container.get("ports", []) if port in (p.get("name"), p["containerPort"])
    ]
    return number  # type: ignore[no-any-return]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?")
_SUFFIXES = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def _quantity(text: str | int) -> float:
    match = _QUANTITY.fullmatch(str(text))
    assert match is not None, f"not a quantity render() knows: {text}"
    return float(match.group(1)) * _SUFFIXES[match.group(2)]


def _secret_template() -> Manifest:
    [secret] = _load_all(SECRET_TEMPLATE)
    return secret


def _image_entrypoint_and_workdir() -> tuple[list[str], str]:
    dockerfile = (ROOT / "Dockerfile").read_text()
    # The last of each is the runtime stage's.
    entrypoint = re.findall(r"^ENTRYPOINT (\[.*\])$", dockerfile, re.MULTILINE)[-1]
    workdir = re.findall(r"^WORKDIR (\S+)$", dockerfile, re.MULTILINE)[-1]
    return json.loads(entrypoint), workdir


@pytest.fixture(params=sorted(KUSTOMIZATIONS), scope="module")
def manifests(request: pytest.FixtureRequest) -> list[Manifest]:
    return render(KUSTOMIZATIONS[request.param])


# --- Valid Kubernetes --------------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_kubernetes_with_no_unknown_field(
    manifests: list[Manifest], version: str
) -> None:
    errors = []
    for manifest in manifests:
        try:
            kubernetes_validate.validate(copy.deepcopy(manifest), version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(part) for part in exc.path)
            errors.append(f"{manifest['kind']}/{manifest['metadata']['name']} {where}: {exc.message}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_secret_template_is_valid_kubernetes_with_no_unknown_field(version: str) -> None:
    kubernetes_validate.validate(_secret_template(), version, strict=True)


# --- Secrets and configuration -----------------------------------------------------------------


def test_applying_a_kustomization_never_overwrites_the_secret(manifests: list[Manifest]) -> None:
    assert [m["metadata"]["name"] for m in manifests if m["kind"] == "Secret"] == []


def test_the_secret_template_holds_every_secret_setting_and_only_placeholders() -> None:
    secret = _secret_template()
    assert "data" not in secret
    assert secret["stringData"].keys() == SECRET_SETTINGS
    assert [name for name, value in secret["stringData"].items() if PLACEHOLDER not in value] == []


def test_an_unedited_secret_template_cannot_start_taskhub() -> None:
    environment = render(KUSTOMIZATIONS["base"])
    values = {**_one(environment, "ConfigMap")["data"], **_secret_template()["stringData"]}
    with pytest.raises(SettingsError, match="BETTER_AUTH_SECRET"):
        Settings.from_env(values)


def test_no_secret_setting_is_in_the_configmap(manifests: list[Manifest]) -> None:
    assert _one(manifests, "ConfigMap")["data"].keys() & SECRET_SETTINGS == set()


def test_every_configured_variable_is_one_taskhub_reads(manifests: list[Manifest]) -> None:
    configured = set(_one(manifests, "ConfigMap")["data"]) | set(_secret_template()["stringData"])
    configured |= {
        env["name"] for _, _, container in _containers(manifests) for env in container.get("env", [])
    }
    assert configured - variables_settings_reads() == set()


def test_every_container_reads_the_configmap_and_the_secret(manifests: list[Manifest]) -> None:
    expected = [
        {"configMapRef": {"name": _one(manifests, "ConfigMap")["metadata"]["name"]}},
        {"secretRef": {"name": _secret_template()["metadata"]["name"]}},
    ]
    for workload, _, container in _all_containers(manifests):
        assert container["envFrom"] == expected, workload["kind"]


# --- Security ----------------------------------------------------------------------------------


def test_every_container_runs_as_non_root_on_a_read_only_root_without_privilege_escalation(
    manifests: list[Manifest],
) -> None:
    for workload, pod, container in _all_containers(manifests):
        # A container's own securityContext wins over its pod's for the user fields.
        effective = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
        assert effective.get("runAsNonRoot") is True, workload["kind"]
        assert effective.get("runAsUser") != 0, workload["kind"]
        assert effective.get("privileged", False) is False, workload["kind"]
        assert effective.get("allowPrivilegeEscalation") is False, workload["kind"]
        assert effective.get("readOnlyRootFilesystem") is True, workload["kind"]


def test_every_container_drops_all_capabilities_under_the_runtime_seccomp_profile(
    manifests: list[Manifest],
) -> None:
    for workload, pod, container in _all_containers(manifests):
        own = container.get("securityContext", {})
        seccomp = own.get("seccompProfile", pod.get("securityContext", {}).get("seccompProfile"))
        assert own.get("capabilities") == {"drop": ["ALL"]}, workload["kind"]
        assert seccomp == {"type": "RuntimeDefault"}, workload["kind"]


def test_every_container_can_write_in_its_working_directory(manifests: list[Manifest]) -> None:
    # On a read-only root, `taskhub serve` with several workers writes its drain flag and metric
    # files under the working directory.
    _, workdir = _image_entrypoint_and_workdir()
    for workload, pod, container in _all_containers(manifests):
        empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        mounted = {m["name"] for m in container.get("volumeMounts", []) if m["mountPath"] == workdir}
        assert mounted & empty_dirs, workload["kind"]


def test_every_container_requests_and_limits_cpu_and_memory(manifests: list[Manifest]) -> None:
    for workload, _, container in _all_containers(manifests):
        resources = container["resources"]
        for resource in ("cpu", "memory"):
            request, limit = resources["requests"][resource], resources["limits"][resource]
            assert _quantity(request) <= _quantity(limit), (workload["kind"], resource)


# --- Serving -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probe", "path"),
    [
        ("startupProbe", "/health/live"),
        ("livenessProbe", "/health/live"),
        ("readinessProbe", "/health/ready"),
    ],
)
def test_the_api_is_probed_on_the_port_it_listens_on(
    manifests: list[Manifest], probe: str, path: str
) -> None:
    container = _api_container(manifests)
    check = container[probe]["httpGet"]
    assert check["path"] == path
    assert _container_port(container, check["port"]) == _configured_port(manifests)


def test_the_service_targets_the_port_the_api_listens_on(manifests: list[Manifest]) -> None:
    [port] = _one(manifests, "Service")["spec"]["ports"]
    assert _container_port(_api_container(manifests), port["targetPort"]) == _configured_port(manifests)


@pytest.mark.parametrize("kind", ["Service", "PodDisruptionBudget"])
def test_the_service_and_the_disruption_budget_select_the_api_pods_only(
    manifests: list[Manifest], kind: str
) -> None:
    spec = _one(manifests, kind)["spec"]
    selector = spec["selector"] if kind == "Service" else spec["selector"]["matchLabels"]
    templates = {m["kind"]: _pod_template(m) for m in manifests}
    selected = {
        workload
        for workload, template in templates.items()
        if template is not None and _selects(selector, template["metadata"]["labels"])
    }
    assert selected == {"Deployment"}


def test_the_autoscaler_alone_sets_how_many_api_pods_run(manifests: list[Manifest]) -> None:
    deployment, autoscaler = _one(manifests, "Deployment"), _one(manifests, "HorizontalPodAutoscaler")
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": deployment["apiVersion"],
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert [m["resource"]["name"] for m in autoscaler["spec"]["metrics"]] == ["cpu"]
    # A count in the Deployment would reset the autoscaler's on every apply.
    assert "replicas" not in deployment["spec"]


def test_a_release_starts_all_its_api_pods_before_stopping_an_old_one(manifests: list[Manifest]) -> None:
    # /health/ready wants the schema revision a pod was built for: once the migration Job has run,
    # old pods leave the Service, and only the new pods already started can take their place.
    strategy = _one(manifests, "Deployment")["spec"]["strategy"]
    assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "100%", "maxUnavailable": 0}}


def test_a_voluntary_disruption_always_leaves_an_api_pod_serving(manifests: list[Manifest]) -> None:
    minimum = _one(manifests, "HorizontalPodAutoscaler")["spec"]["minReplicas"]
    assert minimum - _one(manifests, "PodDisruptionBudget")["spec"]["maxUnavailable"] >= 1


def test_the_grace_period_outlasts_the_drain_and_the_requests_in_flight(manifests: list[Manifest]) -> None:
    drain = float(
        _one(manifests, "ConfigMap")["data"].get("SHUTDOWN_DRAIN_SECONDS", PRODUCTION_SHUTDOWN_DRAIN_SECONDS)
    )
    cli = (ROOT / "src" / "taskhub" / "entrypoints" / "cli.py").read_text()
    in_flight = re.search(r"timeout_graceful_shutdown=(\d+)", cli)
    assert in_flight is not None, "cli.py no longer says how long requests in flight may finish"
    grace = _one(manifests, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > drain + int(in_flight.group(1))


# --- Releases ----------------------------------------------------------------------------------


def test_the_api_the_migration_and_the_purge_run_one_tagged_image(manifests: list[Manifest]) -> None:
    images = {container["image"] for _, _, container in _all_containers(manifests)}
    [image] = images
    assert _split_image(image)[1] not in {"", "latest"}


@pytest.mark.parametrize(("kind", "command"), WORKLOAD_COMMANDS.items())
def test_each_workload_runs_its_taskhub_command(
    manifests: list[Manifest], kind: str, command: list[str]
) -> None:
    entrypoint, _ = _image_entrypoint_and_workdir()
    [container] = _pod_spec(_one(manifests, kind))["containers"]  # type: ignore[index]
    assert container.get("command", entrypoint) + container.get("args", []) == command
