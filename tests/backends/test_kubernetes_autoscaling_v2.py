"""HPAs on the autoscaling/v2 path (Kubernetes 1.23+), against the test server: discovery picks
v2 over v1, v2 metrics are shown current/target, set min/max is a dry run then a precondition
patch; and an HPA on the deployment shows in its scale preview."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.backends.base import ErrorKind, Status
from bot.catalog import parse_operation
from tests.fakes.k8s_autoscaling import FakeK8sWithHpa
from tests.fixtures.k8s_fake import backend_on


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeK8sWithHpa]:
    server = FakeK8sWithHpa().start()
    server.write_kubeconfig(tmp_path / "kubeconfig.yaml")
    try:
        yield server
    finally:
        server.stop()


def test_discovery_picks_v2_and_shows_its_metrics(fake: FakeK8sWithHpa) -> None:
    fake.add_hpa("prod", "web-hpa", kind="Deployment", target="web")
    k8s = backend_on(fake, context="admin")
    listed = k8s.execute(parse_operation({"operation": "list_hpas", "namespace": "prod"}))
    assert listed.status == Status.SUCCESS, listed.error
    assert listed.call == "GET /apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers"
    [row] = listed.data["hpas"]
    assert row["metrics"] == [
        {"name": "cpu", "current": "85%", "target": "70%"},
        {"name": "requests_per_second", "current": "<unknown>", "target": "100"},
    ]
    assert (row["current_replicas"], row["desired_replicas"]) == (4, 5)
    described = k8s.execute(
        parse_operation({"operation": "describe_hpa", "namespace": "prod", "name": "web-hpa"})
    )
    assert "cpu: current 85%, target 70%" in described.text
    assert "Condition ScalingLimited=False (DesiredWithinRange)" in described.text


def test_an_older_server_is_read_in_v2beta2(fake: FakeK8sWithHpa) -> None:
    fake.autoscaling_versions = ["v1", "v2beta2"]
    fake.add_hpa("prod", "web-hpa", kind="Deployment", target="web")
    k8s = backend_on(fake, context="admin")
    listed = k8s.execute(parse_operation({"operation": "list_hpas", "namespace": "prod"}))
    assert "/apis/autoscaling/v2beta2/" in listed.call


def test_a_server_without_a_known_version_is_a_clear_error(fake: FakeK8sWithHpa) -> None:
    fake.autoscaling_versions = ["v9"]
    k8s = backend_on(fake, context="admin")
    listed = k8s.execute(parse_operation({"operation": "list_hpas", "namespace": "prod"}))
    assert listed.error_kind == ErrorKind.NOT_FOUND
    assert listed.error == (
        "the cluster serves no autoscaling version this bot reads (it serves: v9; "
        "known: v2, v2beta2, v1)"
    )


def test_set_is_a_dry_run_first_then_a_guarded_patch(fake: FakeK8sWithHpa) -> None:
    fake.add_hpa("prod", "web-hpa", kind="Deployment", target="web")
    k8s = backend_on(fake, context="admin")
    op = parse_operation(
        {"operation": "set_hpa_replicas", "namespace": "prod", "name": "web-hpa", "min_replicas": 3}
    )
    preview = k8s.preview(op)
    assert preview.dry_run is not None and preview.dry_run.ok
    assert preview.desired == {"min_replicas": 3, "max_replicas": 10}
    assert fake.calls("PATCH")[-1].query == {"dryRun": "All"}
    assert fake.hpas[("prod", "web-hpa")]["spec"]["minReplicas"] == 2
    done = k8s.execute(op)
    assert done.before == {"min_replicas": 2, "max_replicas": 10}
    patch = fake.calls("PATCH")[-1]
    assert patch.headers["content-type"] == ["application/merge-patch+json"]
    assert patch.body["metadata"]["resourceVersion"]  # a precondition, as for scale
    assert fake.hpas[("prod", "web-hpa")]["spec"]["minReplicas"] == 3


def test_the_scale_preview_names_the_hpa(fake: FakeK8sWithHpa) -> None:
    fake.add_deployment("prod", "web", replicas=2)
    fake.add_hpa("prod", "web-hpa", kind="Deployment", target="web")
    k8s = backend_on(fake, context="admin")
    preview = k8s.preview(
        parse_operation(
            {"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 6}
        )
    )
    assert preview.note == (
        "HPA web-hpa controls this workload (min 2, max 10): it will override a manual scale"
    )


def test_the_scale_preview_says_when_hpas_cannot_be_read(fake: FakeK8sWithHpa) -> None:
    fake.add_deployment("prod", "web", replicas=2)
    fake.grant(
        user="opsbot", verbs=["get", "patch"], resources=["deployments", "deployments/scale"]
    )
    k8s = backend_on(fake)  # opsbot: may scale, may not read autoscalers
    preview = k8s.preview(
        parse_operation(
            {"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 6}
        )
    )
    assert preview.dry_run is not None and preview.dry_run.ok
    assert preview.note is not None
    assert preview.note.startswith("could not check for a HorizontalPodAutoscaler:")
