"""Attack class: a secret planted in what a backend reads reaches the user or the model.

Secrets are planted where the adversarial review found them leaking: a real container's
labels, command arguments, env and log (the session's dockerd), a real API server's events
and annotations, and pod logs (the Kubernetes test server: pods/log does not work on the
real one). Each read runs through the executor, and what the user sees (render_execution)
and what the model gets (data_block, as the planner's lookup tool wraps it) hold none.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from kubernetes import client

from bot.backends.base import Backend
from bot.backends.docker_backend import DockerBackend
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import BackendKind, parse_operation
from bot.config import Settings
from bot.executor import Executor
from bot.models import Principal
from bot.plan import Plan
from bot.planning.prompt import data_block
from bot.render import render_execution
from tests.fixtures.docker_backend import ContainerFactory
from tests.fixtures.k8s_fake import FakeK8s, backend_on
from tests.fixtures.services import RealCluster

ALICE = Principal(id="U1", name="alice", groups=frozenset({"sre"}))

SECRETS = {
    "next-line": "Nxt-Line-Pw-41",
    "block": "Bl0ck-Scalar-Pw-42",
    "mysql-pwd": "Mysql-Pwd-Env-43",
    "pwd": "Pwd-Key-Value-44",
    "db-pass": "Db-Pass-Flag-45",
    "dash-p": "Dash-P-Attached-46",
    "stripe": "sk_live_51HqLyjWDarjtT1zdp7dcXYZ",
    "google": "AIzaSyA-1234567890abcdefghijklmnopqrstu",
    "gitlab": "glpat-xYz1234567890abcdEF",
    "aws-bare": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "asia": "ASIAY34FZKBOKMUTVV7A",
    "xml": "Xml-Pass-Element-47",
    "query": "Query-Pass-48",
    "azure": "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu"
    + "Fq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    "base64": base64.b64encode(b"password=B64-Inner-Pw-49").decode(),
}
SECRET_LINES = [
    "password:",
    f"  {SECRETS['next-line']}",
    "secret: |",
    f"  {SECRETS['block']}",
    f"MYSQL_PWD={SECRETS['mysql-pwd']}",
    f"pwd: {SECRETS['pwd']}",
    f"mysql -uroot -p{SECRETS['dash-p']} shop",
    f"using {SECRETS['stripe']} and {SECRETS['google']} and {SECRETS['gitlab']}",
    f"{SECRETS['asia']} {SECRETS['aws-bare']}",
    f"<password>{SECRETS['xml']}</password>",
    f"GET /login?user=bob&pass={SECRETS['query']} HTTP/1.1",
    f"AccountName=acme;AccountKey={SECRETS['azure']};",
    f"config={SECRETS['base64']}",
]
LOG = "\n".join(["server starting", *SECRET_LINES, "server ready"])


def _hidden_everywhere(backend: Backend, kind: BackendKind, request: dict[str, Any]) -> str:
    """Run one read as the bot runs it; assert no secret is in what the user or model gets."""
    op = parse_operation(request)
    report = Executor(backends={kind: backend}).run(Plan(steps=[op]), actor=ALICE)
    shown = render_execution(report)
    to_model = data_block(shown, source=op.describe(), max_chars=100_000)
    data = json.dumps([s.model_dump(mode="json") for s in report.steps], default=str)
    for name, secret in SECRETS.items():
        for where, text in (("chat", shown), ("model", to_model), ("result data", data)):
            assert secret not in text, f"{name} secret reached the {where}: {text}"
        assert secret[-12:] not in shown, f"part of the {name} secret is shown: {shown}"
    return shown


def test_docker_logs_labels_args_and_env_hold_no_secret(
    docker_backend: DockerBackend, containers: ContainerFactory
) -> None:
    box = containers.run(
        "auth-api",
        [
            "sh",
            "-c",
            'printf "%s\\n" "$PLANTED_LOG"; sleep 300',
            f"--db-pass={SECRETS['db-pass']}",
            f"-p{SECRETS['dash-p']}",
            "mysql",
            SECRETS["gitlab"],
        ],
        env={"MYSQL_PWD": SECRETS["mysql-pwd"], "PLANTED_LOG": LOG},
        labels={
            "com.example.db.password": SECRETS["next-line"],
            "com.example.config": SECRETS["base64"],
            "com.example.cloud": f"AccountKey={SECRETS['azure']}",
            "com.example.team": "identity",
        },
    )
    box.reload()
    shown = _hidden_everywhere(
        docker_backend,
        BackendKind.DOCKER,
        {"operation": "inspect_container", "container": box.name},
    )
    assert box.name in shown and "identity" in shown and "MYSQL_PWD" in shown
    for _ in range(50):  # the log fills as soon as the shell ran its echo lines
        if "server ready" in (box.logs() or b"").decode():
            break
        box.reload()
    logs = _hidden_everywhere(
        docker_backend,
        BackendKind.DOCKER,
        {"operation": "container_logs", "container": box.name, "tail_lines": 100},
    )
    assert "server ready" in logs and "[REDACTED]" in logs


def test_k8s_events_and_annotations_hold_no_secret(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("auth")
    core = client.CoreV1Api(real_k8s.admin())
    annotations = {
        "example.com/db-password": SECRETS["next-line"],
        "example.com/config": SECRETS["base64"],
        "example.com/notes": LOG,
    }
    core.create_namespaced_pod(
        ns,
        {
            "metadata": {"name": "auth-api", "annotations": annotations},
            "spec": {"containers": [{"name": "auth-api", "image": "busybox:1"}]},
        },
    )
    for i, line in enumerate(SECRET_LINES[4:]):
        core.create_namespaced_event(
            ns,
            {
                "metadata": {"name": f"auth-api.{i}"},
                "involvedObject": {"kind": "Pod", "name": "auth-api", "namespace": ns},
                "reason": "Planted",
                "type": "Warning",
                "message": f"probe output: {line}",
                "count": 1,
            },
        )
    backend = KubernetesBackend(
        settings=Settings.model_validate({"kube_timeout_seconds": 10.0}),
        api_client_factory=lambda ctx: real_k8s.api_client("admin"),
    )
    described = _hidden_everywhere(
        backend,
        BackendKind.KUBERNETES,
        {"operation": "describe_pod", "namespace": ns, "name": "auth-api"},
    )
    assert f"{ns}/auth-api" in described and "Planted" in described
    events = _hidden_everywhere(
        backend, BackendKind.KUBERNETES, {"operation": "list_events", "namespace": ns}
    )
    assert "Planted" in events and "auth-api" in events


def test_pod_logs_hold_no_secret(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("token-service", "auth-api-7f9c8d6b5-x2x9q", logs=LOG)
    shown = _hidden_everywhere(
        backend_on(fake_k8s),
        BackendKind.KUBERNETES,
        {"operation": "pod_logs", "namespace": "token-service", "name": "auth-api-7f9c8d6b5-x2x9q"},
    )
    assert "server ready" in shown and "auth-api-7f9c8d6b5-x2x9q" in shown
