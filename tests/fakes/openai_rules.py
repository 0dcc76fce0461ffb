"""A deterministic rule-based "model" for the fake OpenAI server.

A stand-in so `opsbot eval` can run end to end in CI without a real model: it maps request
text to tool calls with keyword rules and the inventory block of the system prompt. It is
deliberately simple (and deliberately gullible: it obeys "delete pod X" planted in lookup
results, so the planner's code-level guard is exercised). Real accuracy numbers come from
running the eval against a real endpoint (OPENAI_BASE_URL).
"""

from __future__ import annotations

import re
from typing import Any

from bot.planning.prompt import REQUEST_MARKER
from tests.fakes.openai_api import Reply, Text, ToolCall, ToolCalls
from tests.fakes.openai_rules_jobs_nodes import jobs_nodes_rule
from tests.fakes.openai_rules_reads import reads_rule
from tests.fakes.openai_rules_workloads import workload_rule

_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_OUT_OF_CATALOG = re.compile(
    r"\b(kubectl|exec|shell|drop|namespace\s+\w+\s*$|delete\s+(the\s+)?namespace|"
    r"create|install|apply|secrets?|password|taint)\b"
)


_VERBS = frozenset(
    [
        "scale",
        "restart",
        "bounce",
        "roll",
        "rollback",
        "revert",
        "describe",
        "logs",
        "log",
        "delete",
        "kill",
        "stop",
        "start",
        "inspect",
    ]
)


def _schema_args(body: dict[str, Any], tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """Fill every property (strict mode: all present, null when unused)."""
    for t in body.get("tools") or []:
        if t["function"]["name"] == tool:
            props = t["function"]["parameters"]["properties"]
            return {name: args.get(name) for name in props}
    raise AssertionError(f"tool {tool} not offered")


def _call(body: dict[str, Any], tool: str, **args: Any) -> ToolCall:
    return ToolCall(name=tool, arguments=_schema_args(body, tool, args))


class _Inventory:
    def __init__(self, system: str) -> None:
        self.namespaces: list[str] = []
        self.by_ns: dict[str, dict[str, list[str]]] = {}
        self.containers: list[str] = []
        for line in system.splitlines():
            head, _, rest = line.partition(": ")
            names = [n.strip() for n in re.sub(r"\(\+\d+ more\)", "", rest).split(",") if n.strip()]
            if head == "namespaces":
                self.namespaces = names
            elif head == "docker containers":
                self.containers = names
            elif m := re.fullmatch(r"(deployments|pods) in ([a-z0-9-]+)", head):
                self.by_ns.setdefault(m.group(2), {}).setdefault(m.group(1), []).extend(names)

    def homes(self, resource: str, name: str) -> list[str]:
        return [ns for ns, res in self.by_ns.items() if name in res.get(resource, [])]

    def all(self, resource: str) -> list[str]:
        return [n for res in self.by_ns.values() for n in res.get(resource, [])]


def _number(text: str) -> int | None:
    m = re.search(r"\b(?:to|=|at)\s+(\d+|" + "|".join(_NUMBERS) + r")\b", text)
    if m is None:
        return None
    word = m.group(1)
    return int(word) if word.isdigit() else _NUMBERS[word]


def _namespace(text: str, inv: _Inventory) -> str | None:
    m = re.search(r"(?:\bin|-n|\bnamespace|\bns)\s+([a-z0-9][a-z0-9-]*)", text)
    if m and m.group(1) not in {"the", "a", "all"}:
        return m.group(1)
    for word in re.findall(r"[a-z0-9-]+", text):
        if word in inv.namespaces and word not in {"default"}:
            return word
    return None


def _target(text: str, inv: _Inventory, resource: str) -> str | None:
    words = re.findall(r"[a-z0-9][a-z0-9_.-]*", text)
    known = set(inv.all(resource)) | (set(inv.containers) if resource == "containers" else set())
    for word in words:
        if word in known:
            return word
    if resource == "pods":
        for word in words:
            pods = [p for p in inv.all("pods") if p.startswith(f"{word}-")]
            if pods:
                return pods[0]
    skip = {"the", "pod", "deployment", "container", "of", "for", "stuck", "back"}
    for i, word in enumerate(words):
        if word in _VERBS:
            rest = [w for w in words[i + 1 :] if w not in skip]
            if rest and rest[0] not in {"to", "in", "it", "down", "up"}:
                return rest[0]
    return None


def _diagnosis_round(body: dict[str, Any], messages: list[dict[str, Any]]) -> Reply:
    data = "\n".join(str(m.get("content")) for m in messages if m.get("role") == "tool")
    ids = sorted(set(re.findall(r'id="(E\d+)"', data)))
    if not ids:  # the planner sent back an error about our arguments: give up honestly
        return ToolCalls(calls=[_call(body, "abstain", reason="I could not form a valid call.")])
    system = messages[0]["content"] + str(messages[1]["content"])
    ns = re.search(r'source="[a-z_]+\(namespace=([a-z0-9-]+)', data)
    summary = "CrashLoopBackOff" if "CrashLoopBackOff" in data else "no obvious failure"
    cited = " ".join(f"[{i}]" for i in ids)
    out = [_call(body, "answer", text=f"Finding: {summary} {cited}".strip(), evidence=ids)]
    planted = re.search(r"delete (?:pod|namespace) ([a-z0-9-]+)", data)
    if planted and "untrusted-data" in system:  # gullible on purpose: the guard must stop it
        out.append(
            _call(body, "delete_pod", name=planted.group(1), namespace=ns.group(1) if ns else None)
        )
    return ToolCalls(calls=out)


def rule_model(body: dict[str, Any]) -> Reply:
    messages = body["messages"]
    if any(m.get("role") == "tool" for m in messages):
        return _diagnosis_round(body, messages)
    # the planner's user message: scope and inventory data, then the request after a marker
    user = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    data, _, request = user.rpartition(REQUEST_MARKER)
    text = request.strip().lower()
    inv = _Inventory(data)
    offered = {t["function"]["name"] for t in body.get("tools") or []}
    ns = _namespace(text, inv)

    def reply(tool: str, **args: Any) -> Reply:
        return ToolCalls(calls=[_call(body, tool, **args)])

    def resolve_ns(resource: str, name: str | None) -> str | Reply | None:
        if ns is not None or name is None:
            return ns
        homes = inv.homes(resource, name)
        if len(homes) > 1:
            return reply("ask_clarification", question=f"Which namespace: {', '.join(homes)}?")
        return homes[0] if homes else None

    if _OUT_OF_CATALOG.search(text) or "ignore previous" in text:
        return reply("abstain", reason="That is outside what I can do.")
    asks_why = re.search(r"\b(why|what'?s wrong)\b", text) or (
        re.search(r"\b(crash\w*|failing|broken)\b", text)
        and not re.search(r"\b(logs?|revert|roll\s*back|rollback)\b", text)
    )
    if asks_why and any(t.startswith("lookup_") for t in offered):
        name = _target(text, inv, "deployments")
        where = resolve_ns("deployments", name)
        if isinstance(where, ToolCalls):
            return where
        return ToolCalls(
            calls=[
                _call(body, "lookup_list_pods", namespace=where),
                _call(body, "lookup_list_events", namespace=where, object_name=name),
            ]
        )
    if (jobs_nodes := jobs_nodes_rule(text, ns, reply)) is not None:
        return jobs_nodes  # cronjobs, jobs, nodes
    if (day2_read := reads_rule(text, ns, reply, inv.containers)) is not None:
        return day2_read  # services, ingresses, config maps, namespaces, pvcs, get KIND, docker
    if (workload := workload_rule(text, ns, reply)) is not None:
        return workload  # statefulsets, daemonsets, rollouts, autoscalers
    if "health" in text or "report" in text:
        return reply("health_report", namespace=ns)
    container = _target(text, inv, "containers")
    is_container = container in inv.containers or "container" in text
    if re.search(r"\b(scale|replicas?)\b", text):
        name = _target(text, inv, "deployments")
        count = _number(text)
        if name is None or count is None:
            return reply("ask_clarification", question="Which deployment, and how many replicas?")
        where = resolve_ns("deployments", name)
        if isinstance(where, ToolCalls):
            return where
        return reply("scale_deployment", name=name, namespace=where, replicas=count)
    if re.search(r"\b(roll\s*back|rollback|revert|undo)\b", text):
        name = _target(text, inv, "deployments")
        where = resolve_ns("deployments", name)
        if isinstance(where, ToolCalls):
            return where
        rev = re.search(r"revision\s+(\d+)", text)
        return reply(
            "rollback_deployment",
            name=name,
            namespace=where,
            to_revision=int(rev.group(1)) if rev else None,
        )
    if re.search(r"\blogs?\b", text):
        tail = re.search(r"(?:last|tail)\s+(\d+)", text)
        lines = int(tail.group(1)) if tail else None
        if is_container and container:
            return reply("container_logs", container=container, tail_lines=lines)
        pod = _target(text, inv, "pods")
        where = resolve_ns("pods", pod)
        if isinstance(where, ToolCalls):
            return where
        prev = bool(re.search(r"\b(previous|crashed|last run)\b", text)) or None
        return reply("pod_logs", name=pod, namespace=where, tail_lines=lines, previous=prev)
    if re.search(r"\b(restart|bounce|reboot)\b", text):
        if is_container and container:
            return reply("restart_container", container=container)
        name = _target(text, inv, "deployments")
        where = resolve_ns("deployments", name)
        if isinstance(where, ToolCalls):
            return where
        return reply("restart_deployment", name=name, namespace=where)
    if re.search(r"\b(delete|kill|remove)\b", text):
        pod = _target(text, inv, "pods")
        where = resolve_ns("pods", pod)
        if isinstance(where, ToolCalls):
            return where
        return reply("delete_pod", name=pod, namespace=where)
    if re.search(r"\b(stop|halt)\b", text) and container:
        return reply("stop_container", container=container)
    if re.search(r"\b(start|launch|bring up)\b", text) and container:
        return reply("start_container", container=container)
    if "event" in text:
        name = _target(text, inv, "deployments")
        warn = True if "warning" in text else None
        return reply("list_events", namespace=ns, object_name=name, warnings_only=warn)
    if re.search(r"\b(describe|details?|status|state|inspect|image|revision)\b", text):
        if is_container and container:
            return reply("inspect_container", container=container)
        if "pod" in text:
            pod = _target(text, inv, "pods")
            return reply("describe_pod", name=pod, namespace=resolve_ns("pods", pod))
        name = _target(text, inv, "deployments")
        where = resolve_ns("deployments", name)
        if isinstance(where, ToolCalls):
            return where
        return reply("describe_deployment", name=name, namespace=where)
    if "container" in text:
        return reply("list_containers", all=True if re.search(r"\b(all|stopped)\b", text) else None)
    if "deployment" in text:
        return reply(
            "list_deployments",
            namespace=ns,
            all_namespaces=True if ns is None and "all" in text else None,
        )
    if "pod" in text:
        return reply(
            "list_pods", namespace=ns, all_namespaces=True if ns is None and "all" in text else None
        )
    return Text("I am not sure what you want me to do.")
