"""The words of the command language: resource types, options and English connectives.

Options map to catalog field names; which options a command accepts is derived from its
catalog model's fields, so adding a field to an operation is enough to make its flag valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.catalog import BackendKind

# Resource types the parser understands, by canonical name -> the words that name them.
RESOURCE_WORDS: dict[str, frozenset[str]] = {
    "pods": frozenset({"pod", "pods", "po"}),
    "deployments": frozenset(
        {"deploy", "deploys", "deployment", "deployments", "deployment.apps", "deployments.apps"}
    ),
    "events": frozenset({"event", "events", "ev"}),
    # Jobs, CronJobs and Nodes (bot/catalog/jobs_nodes_ops.py)
    "cronjobs": frozenset({"cronjob", "cronjobs", "cj", "cronjob.batch", "cronjobs.batch"}),
    "jobs": frozenset({"job", "jobs", "job.batch", "jobs.batch"}),
    "nodes": frozenset({"node", "nodes"}),
    # day-2 reads (bot/catalog/reads_ops.py)
    "services": frozenset({"svc", "service", "services"}),
    "ingresses": frozenset({"ing", "ingress", "ingresses", "ingresses.networking.k8s.io"}),
    "configmaps": frozenset({"cm", "configmap", "configmaps"}),
    "namespaces": frozenset({"ns", "namespace", "namespaces"}),
    "persistentvolumeclaims": frozenset(
        {"pvc", "pvcs", "persistentvolumeclaim", "persistentvolumeclaims"}
    ),
    "statefulsets": frozenset(
        {"sts", "statefulset", "statefulsets", "statefulset.apps", "statefulsets.apps"}
    ),
    "daemonsets": frozenset({"ds", "daemonset", "daemonsets", "daemonset.apps", "daemonsets.apps"}),
    "hpas": frozenset(
        {"hpa", "hpas", "horizontalpodautoscaler", "horizontalpodautoscalers", "autoscaler"}
    ),
}
# The singular word used in hints and canonical commands.
RESOURCE_SINGULAR: dict[str, str] = {
    "pods": "pod",
    "deployments": "deploy",
    "events": "events",
    "cronjobs": "cronjob",
    "jobs": "job",
    "nodes": "node",
    "services": "svc",
    "ingresses": "ingress",
    "configmaps": "cm",
    "namespaces": "ns",
    "persistentvolumeclaims": "pvc",
    "statefulsets": "sts",
    "daemonsets": "ds",
    "hpas": "hpa",
}
# Plural words that start a command on their own: "pods in prod".
NOUN_FIRST: dict[str, str] = {
    "pods": "pods",
    "deployments": "deployments",
    "deploys": "deployments",
    "events": "events",
    "cronjobs": "cronjobs",
    "jobs": "jobs",
    "nodes": "nodes",
    "services": "services",
    "ingresses": "ingresses",
    "configmaps": "configmaps",
    "namespaces": "namespaces",
    "pvcs": "persistentvolumeclaims",
    "statefulsets": "statefulsets",
    "daemonsets": "daemonsets",
    "hpas": "hpas",
}

# Kubernetes resource types that exist but that no catalog operation acts on: named so that
# `scale statefulset/x` is an error about the type, never a deployment called "statefulset".
OTHER_RESOURCE_WORDS: frozenset[str] = frozenset(
    {
        "replicaset",
        "replicasets",
        "rs",
        "secret",
        "secrets",
        "pv",
        "endpoints",
        "ep",
        "serviceaccount",
        "serviceaccounts",
        "sa",
        "container",
        "containers",
    }
)


def resource_of(word: str) -> str | None:
    """The canonical resource type a (lower-case) word names, or None."""
    for resource, words in RESOURCE_WORDS.items():
        if word in words:
            return resource
    return None


def is_type_word(word: str) -> bool:
    return resource_of(word) is not None or word in OTHER_RESOURCE_WORDS


class ValueKind(StrEnum):
    BOOL = "bool"
    TEXT = "text"  # ints are recognised from the catalog field's type
    DURATION = "duration"
    REF = "ref"  # an object name, optionally written TYPE/NAME


@dataclass(frozen=True)
class Flag:
    field: str
    value: ValueKind = ValueKind.TEXT
    backends: frozenset[BackendKind] | None = None  # None: any backend with the field
    placeholder: str = "VALUE"


_K8S = frozenset({BackendKind.KUBERNETES})

# The first flag listed for a field is its canonical spelling (used by format_command).
FLAGS: dict[str, Flag] = {
    "-n": Flag("namespace", placeholder="NAMESPACE"),
    "--namespace": Flag("namespace", placeholder="NAMESPACE"),
    "--context": Flag("context", placeholder="CONTEXT"),
    "-A": Flag("all_namespaces", ValueKind.BOOL),
    "--all-namespaces": Flag("all_namespaces", ValueKind.BOOL),
    "-l": Flag("label_selector", placeholder="SELECTOR"),
    "--selector": Flag("label_selector", placeholder="SELECTOR"),
    "--replicas": Flag("replicas", placeholder="N"),
    "--tail": Flag("tail_lines", placeholder="N"),
    "--since": Flag("since_seconds", ValueKind.DURATION, placeholder="DURATION"),
    "-p": Flag("previous", ValueKind.BOOL),
    "--previous": Flag("previous", ValueKind.BOOL),
    "-c": Flag("container", backends=_K8S, placeholder="CONTAINER"),
    "--container": Flag("container", backends=_K8S, placeholder="CONTAINER"),
    "--grace-period": Flag("grace_period_seconds", placeholder="SECONDS"),
    "--to-revision": Flag("to_revision", placeholder="N"),
    "--delete-emptydir-data": Flag("delete_emptydir_data", ValueKind.BOOL),
    "--even-if-active": Flag("even_if_active", ValueKind.BOOL),
    "--min": Flag("min_replicas", placeholder="N"),
    "--max": Flag("max_replicas", placeholder="N"),
    "--warnings": Flag("warnings_only", ValueKind.BOOL),
    "--warnings-only": Flag("warnings_only", ValueKind.BOOL),
    "--for": Flag("object_name", ValueKind.REF, placeholder="NAME"),
    "--limit": Flag("limit", placeholder="N"),
    "-a": Flag("all", ValueKind.BOOL),
    "--all": Flag("all", ValueKind.BOOL),
    "--host": Flag("host", placeholder="HOST"),
    "-H": Flag("host", placeholder="HOST"),
    "-t": Flag("timeout_seconds", placeholder="SECONDS"),
    "--time": Flag("timeout_seconds", placeholder="SECONDS"),
    "--timeout": Flag("timeout_seconds", placeholder="SECONDS"),
}
HELP_FLAGS = frozenset({"-h", "--help"})


# English connectives: "in prod", "in cluster east", "on edge-1", "to 5", "for web".
# keyword -> field it sets by default; qualifier words pick another field.
KEYWORD_FIELDS: dict[str, str] = {
    "in": "namespace",
    "on": "host",
    "to": "@to",  # the command's `to_field` (replicas for scale, to_revision for rollback)
    "for": "object_name",
}
KEYWORD_QUALIFIERS: dict[str, dict[str, str]] = {
    "in": {"namespace": "namespace", "ns": "namespace", "cluster": "context", "context": "context"},
    "on": {"cluster": "context", "context": "context", "host": "host"},
    "to": {"revision": "to_revision"},
    "for": {},
}
# Articles dropped between the words of a command: "restart the redis statefulset".
ARTICLES = frozenset({"the"})
# "how is the web rollout going": a question about a rollout is `rollout status`.
ROLLOUT_QUESTION_WORDS = frozenset({"rollout", "going", "doing", "progressing", "now"})
# Filler words allowed right after a replica count: "scale web to 5 replicas".
REPLICA_WORDS = frozenset({"replica", "replicas"})
# Words that must be quoted to be read as a plain value.
RESERVED_WORDS = (
    frozenset(KEYWORD_FIELDS)
    | frozenset({"then", "and", "help", "?"})
    | ARTICLES
    | REPLICA_WORDS
    | OTHER_RESOURCE_WORDS
    | frozenset().union(*RESOURCE_WORDS.values())
)
