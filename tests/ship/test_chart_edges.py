"""Chart edges: two releases of the same name in different namespaces coexist (cluster-wide
RBAC names carry the namespace), the ServiceMonitor renders only when the cluster serves
monitoring.coreos.com/v1, and a numeric `image.tag` from `--set image.tag=1` is accepted."""

from __future__ import annotations

from typing import Any

from tests.fixtures.ship import ChartInstaller, HiddenGroupProxy

IMPERSONATION = {"enabled": True, "users": ["alice"], "groups": ["sre"]}


def _cluster_names(rendered: Any) -> set[tuple[str, str]]:
    return {
        (d["kind"], d["metadata"]["name"])
        for d in rendered.docs
        if d["kind"] in {"ClusterRole", "ClusterRoleBinding"}
    }


def test_two_releases_of_one_name_in_two_namespaces_coexist(helm_chart: ChartInstaller) -> None:
    values = {"fullnameOverride": "opsbot", "impersonation": IMPERSONATION}
    first = helm_chart.install(values, namespace=helm_chart.cluster.namespace("ship-a"))
    second = helm_chart.install(values, namespace=helm_chart.cluster.namespace("ship-b"))
    names_first, names_second = _cluster_names(first), _cluster_names(second)
    assert len(names_first) == 2 and len(names_second) == 2
    assert names_first.isdisjoint(names_second)
    for rendered in (first, second):
        binding = rendered.one("ClusterRoleBinding")
        assert rendered.namespace in binding["metadata"]["name"]
        assert binding["roleRef"]["name"] == rendered.one("ClusterRole")["metadata"]["name"]


def test_service_monitor_renders_only_where_its_api_is_served(
    helm_chart: ChartInstaller, service_monitor_crd: str, hidden_monitoring: HiddenGroupProxy
) -> None:
    values = {"serviceMonitor": {"enabled": True}}
    served = helm_chart.install(values)
    assert "ServiceMonitor" in served.kinds()
    # the same real API server, its discovery without monitoring.coreos.com: Helm would have
    # sent an object of an unknown kind and failed the install
    hidden = helm_chart.install(values, kubeconfig=hidden_monitoring.kubeconfig)
    assert "ServiceMonitor" not in hidden.kinds()
    assert "Deployment" in hidden.kinds()


def test_a_numeric_image_tag_is_accepted(helm_chart: ChartInstaller) -> None:
    rendered = helm_chart.install({"image": {"repository": "registry.local/opsbot", "tag": 1}})
    assert rendered.bot_container["image"] == "registry.local/opsbot:1"
    floats = helm_chart.install({"image": {"repository": "registry.local/opsbot", "tag": 1.5}})
    assert floats.bot_container["image"] == "registry.local/opsbot:1.5"
