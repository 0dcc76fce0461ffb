"""Attack class: reading a Secret through the bot, by any spelling or path.

Secrets are never readable, whatever the policy says: not by `get secrets`, `get secret/x`,
`secrets.v1.`, another group's `secrets` resource, nor a resource whose kind is Secret reached
through a short name or alias that discovery resolves (a CRD here, on the real API server).
The bot asks as the cluster admin in these tests, so only the bot's own refusal stands between
the request and the Secret's value.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client
from pydantic import ValidationError

from bot.backends.base import ErrorKind, Status
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import parse_operation
from bot.catalog.reads_ops import GetResource
from bot.config import Settings
from bot.parsing import parse_command
from bot.parsing.results import ParseError
from tests.backends.test_kubernetes_real import wait_for
from tests.fixtures.services import RealCluster

SECRET_VALUE = "Sup3r-Secret-Value-77"


@pytest.mark.parametrize(
    "text",
    [
        "get secrets -n prod",
        "get secret db -n prod",
        "get secret/db -n prod",
        "get Secrets -n prod",
        "get secrets.v1. -n prod",
        "get secret.example.io -A",
        "get secrets/db in prod",
        "show secrets in prod",
    ],
)
def test_explicit_secret_reads_are_refused(text: str) -> None:
    parsed = parse_command(text)
    if isinstance(parsed, ParseError):
        assert "secret" in parsed.message.lower(), parsed
        return
    steps = getattr(parsed, "plan", None)
    assert steps is None, f"{text!r} became a plan: {parsed}"


@pytest.mark.parametrize("word", ["secrets", "secret", "Secret", "secrets.v1.", "secret.x.io"])
def test_the_catalog_refuses_secret_resource_types(word: str) -> None:
    with pytest.raises(ValidationError, match="Secrets are never readable"):
        parse_operation({"operation": "get_resource", "resource_type": word, "namespace": "x"})


def _admin_backend(real_k8s: RealCluster) -> KubernetesBackend:
    return KubernetesBackend(
        settings=Settings.model_validate({"kube_timeout_seconds": 10.0}),
        api_client_factory=lambda ctx: real_k8s.api_client("admin"),
    )


@pytest.fixture
def secret_like_crd(real_k8s: RealCluster) -> Iterator[tuple[str, str]]:
    """A CRD whose kind is Secret, reachable by the short name `vlt` (group, plural)."""
    ext = client.ApiextensionsV1Api(real_k8s.admin())
    group = f"evil{uuid.uuid4().hex[:6]}.example.com"
    name = f"vaults.{group}"
    ext.create_custom_resource_definition(
        {
            "metadata": {"name": name},
            "spec": {
                "group": group,
                "scope": "Namespaced",
                "names": {
                    "plural": "vaults",
                    "singular": "vault",
                    "kind": "Secret",
                    "shortNames": ["vlt"],
                },
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                    }
                ],
            },
        }
    )

    def served() -> bool:
        try:
            listing = client.CustomObjectsApi(real_k8s.admin()).get_api_resources(group, "v1")
        except client.ApiException as exc:
            if exc.status == 404:  # the new group is not in discovery yet
                return False
            raise
        return any(r.name == "vaults" for r in listing.resources)

    try:
        wait_for(f"{name} served", served)
        yield group, "vaults"
    finally:
        ext.delete_custom_resource_definition(name)


def test_a_kind_secret_reached_by_short_name_is_refused(
    real_k8s: RealCluster, secret_like_crd: tuple[str, str]
) -> None:
    group, plural = secret_like_crd
    ns = real_k8s.namespace("sec-alias")
    body = {
        "apiVersion": f"{group}/v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "data": {"password": SECRET_VALUE},
    }

    def created() -> bool:
        """A CRD just listed in discovery may still answer 404 for a moment."""
        try:
            client.CustomObjectsApi(real_k8s.admin()).create_namespaced_custom_object(
                group, "v1", ns, plural, body
            )
        except client.ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    wait_for(f"a {plural} object created", created)
    k8s = _admin_backend(real_k8s)
    for word in ("vlt", "vault", "vaults", f"vaults.{group}", f"vaults.v1.{group}"):
        result = k8s.execute(GetResource(namespace=ns, resource_type=word))
        assert result.status == Status.ERROR, (word, result.text)
        assert result.error_kind == ErrorKind.FORBIDDEN
        assert "never readable" in (result.error or "")
        assert SECRET_VALUE not in result.model_dump_json()


def test_core_secrets_are_refused_even_past_the_catalog(real_k8s: RealCluster) -> None:
    """An operation built without validation (a bug upstream) still cannot read Secrets."""
    ns = real_k8s.namespace("sec-core")
    core = client.CoreV1Api(real_k8s.admin())
    core.create_namespaced_secret(
        ns,
        {
            "metadata": {"name": "db"},
            "data": {"password": base64.b64encode(SECRET_VALUE.encode()).decode()},
        },
    )
    k8s = _admin_backend(real_k8s)
    for word in ("secrets", "secret", "Secret", "secrets.v1.", "SECRETS"):
        for name in (None, "db"):
            op = GetResource.model_construct(
                namespace=ns, resource_type=word, name=name, all_namespaces=False
            )
            result = k8s.execute(op)
            assert result.status == Status.ERROR, (word, result.text)
            assert "never readable" in (result.error or "")
            assert SECRET_VALUE not in result.model_dump_json()
            assert base64.b64encode(SECRET_VALUE.encode()).decode() not in result.model_dump_json()
