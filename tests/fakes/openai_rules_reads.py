"""Rules of the fake model for the day-2 reads: Services, Ingresses, ConfigMaps, namespaces,
PVCs, the generic `get KIND`, and `docker stats` / `docker top` (issue 12).

Same spirit as tests/fakes/openai_rules.py: keywords to tool calls, no cleverness."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

_KINDS = {
    "svc": "service",
    "service": "service",
    "services": "service",
    "ingress": "ingress",
    "ingresses": "ingress",
    "ing": "ingress",
    "configmap": "configmap",
    "configmaps": "configmap",
    "cm": "configmap",
    "pvc": "pvc",
    "pvcs": "pvc",
    "claims": "pvc",
    "namespaces": "namespaces",
}
# types only the generic read serves (found by discovery on a real cluster)
_GENERIC = frozenset(
    ["certificates", "certificates.cert-manager.io", "poddisruptionbudgets", "pdb", "pdbs",
     "networkpolicies", "serviceaccounts", "storageclasses", "crds",
     "customresourcedefinitions", "leases", "roles", "rolebindings"]
)  # fmt: skip
_SKIP = {"the", "a", "my", "of", "for", "in", "to", "is", "please", "what", "are", "there",
         "do", "we", "have", "which", "get", "list", "show", "describe", "details", "keys",
         "values", "its", "with", "and", "all", "me", "config", "map", "volume",
         "exist"}  # fmt: skip


def _name(words: list[str], at: int) -> str | None:
    before = [w for w in words[:at] if w not in _SKIP]
    after = [w for w in words[at + 1 :] if w not in _SKIP]
    if before and at > 0 and words[at - 1] == before[-1]:
        return before[-1]
    return after[0] if after else None


def reads_rule(
    text: str, ns: str | None, reply: Callable[..., Any], containers: Sequence[str]
) -> Any | None:
    text = text.replace("config map", "configmap").replace("volume claims", "claims")
    every_word = re.findall(r"[a-z0-9][a-z0-9_.-]*", text)
    container = next((w for w in every_word if w in containers), None)
    words = [w for w in every_word if w != ns and w != "n"]  # "-n prod"
    if re.search(r"\b(stats|cpu|memory)\b", text) and ("docker" in text or "container" in text):
        return reply("docker_stats", container=container)
    if re.search(r"\b(top|processes)\b", text) and container:
        return reply("docker_top", container=container)
    generic = next((i for i, w in enumerate(words) if w in _GENERIC), None)
    if generic is not None:
        rest = [w for w in words[generic + 1 :] if w not in _SKIP]
        return reply("get_resource", resource_type=words[generic], name=rest[0] if rest else None,
                     namespace=ns)  # fmt: skip
    where = next((i for i, w in enumerate(words) if w in _KINDS), None)
    if where is None or (
        words[where] == "namespaces" and re.search(r"\b(pods?|deploy\w*|all|across)\b", text)
    ):
        return None  # "pods across all namespaces" is about pods
    kind = _KINDS[words[where]]
    name = None if kind in ("namespaces", "pvc") else _name(words, where)
    plural = words[where].endswith("s") and words[where] not in ("svc", "claims")
    every = True if ns is None and re.search(r"\b(all|every)\b", text) else None
    if kind == "namespaces":
        return reply("list_namespaces")
    if kind == "pvc":
        return reply("list_pvcs", namespace=ns, all_namespaces=every)
    if kind == "ingress":
        return reply("list_ingresses", namespace=ns, name=None if plural else name,
                     all_namespaces=every)  # fmt: skip
    if kind == "configmap":
        if re.search(r"\b(values?|contents?)\b", text) and name:
            return reply("read_configmap_values", name=name, namespace=ns)
        return reply("get_configmaps", namespace=ns, name=None if plural else name,
                     all_namespaces=every)  # fmt: skip
    if name and not plural and re.search(r"\b(describe|details|endpoints?|selector)\b", text):
        return reply("describe_service", name=name, namespace=ns)
    return reply("list_services", namespace=ns, name=None if plural else name,
                 all_namespaces=every)  # fmt: skip
