"""Diagnosis: a bounded, read-only lookup loop whose answer cites its evidence."""

from __future__ import annotations

from typing import Any

from bot.catalog import Operation
from bot.planning.base import Abstain, Answer, Proposed
from bot.planning.static_inventory import StaticInventory
from tests.fakes.openai_api import FakeOpenAI, Reply, ToolCalls, call, calls
from tests.fixtures.openai_fake import PlannerFactory, ask, expect


class Reads:
    def __init__(self, texts: dict[str, str] | None = None, *, fail: bool = False) -> None:
        self.texts = texts or {}
        self.fail = fail
        self.calls: list[Operation] = []

    def __call__(self, op: Operation) -> str:
        self.calls.append(op)
        if self.fail:
            raise TimeoutError("kube api timed out")
        return self.texts.get(op.kind, f"{op.kind}: nothing")


def _pods(namespace: str) -> Any:
    return call(
        "lookup_list_pods",
        namespace=namespace,
        all_namespaces=None,
        label_selector=None,
        context=None,
    )


def test_answer_cites_the_lookups_it_used(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    reads = Reads(
        {
            "list_pods": "api-6c7d-uvwxy 0/1 CrashLoopBackOff 12",
            "pod_logs": "panic: cannot connect to postgres",
        }
    )
    openai_fake.script(
        calls(_pods("staging")),
        calls(
            call(
                "lookup_pod_logs",
                name="api-6c7d-uvwxy",
                namespace="staging",
                container=None,
                tail_lines=100,
                since_seconds=None,
                previous=True,
                context=None,
            )
        ),
        calls(
            call(
                "answer",
                evidence=["E1", "E2"],
                text="api crashloops [E1]: it cannot reach postgres [E2].",
            )
        ),
    )
    outcome = ask(
        make_planner(), "why is api crashlooping in staging?", seeded_inventory, lookup=reads
    )

    assert not isinstance(outcome, Proposed)
    assert expect(Answer, outcome).text == "api crashloops [E1]: it cannot reach postgres [E2]."
    assert outcome.evidence == [
        "E1: list_pods(namespace=staging, all_namespaces=False)",
        "E2: pod_logs(namespace=staging, name=api-6c7d-uvwxy, tail_lines=100, previous=True)",
    ]
    assert [op.kind for op in reads.calls] == ["list_pods", "pod_logs"]
    assert reads.calls[1].previous is True  # type: ignore[attr-defined]


def test_uncited_answer_gets_its_evidence_appended(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(_pods("prod")),
        calls(call("answer", text="All pods are running.", evidence=[])),
    )
    outcome = ask(make_planner(), "what's wrong in prod?", seeded_inventory, lookup=Reads())

    assert expect(Answer, outcome).text == "All pods are running. (evidence: [E1])"
    assert outcome.evidence == ["E1: list_pods(namespace=prod, all_namespaces=False)"]


def test_loop_is_bounded_by_max_steps(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    def curious_model(body: dict[str, Any]) -> Reply:
        offered = {t["function"]["name"] for t in body["tools"]}
        if "lookup_list_pods" in offered:
            n = sum(m["role"] == "tool" for m in body["messages"])
            namespace = ["prod", "staging", "default", "prod"][n % 4]
            return calls(
                call(
                    "lookup_list_events",
                    namespace=namespace,
                    object_name=None,
                    warnings_only=None,
                    limit=n + 1,
                    all_namespaces=None,
                    context=None,
                )
            )
        return calls(call("answer", text="Out of lookups; best guess [E1].", evidence=["E1"]))

    openai_fake.responder = curious_model
    reads = Reads()
    outcome = ask(
        make_planner(llm_max_steps=3), "why is everything slow?", seeded_inventory, lookup=reads
    )

    assert len(openai_fake.requests) == 3
    assert len(reads.calls) == 2  # two lookup rounds, then a final turn without lookup tools
    final_tools = {t["function"]["name"] for t in openai_fake.requests[-1]["tools"]}
    assert not any(name.startswith("lookup_") for name in final_tools)
    assert "[E1]" in expect(Answer, outcome).text


def test_repeated_identical_lookup_is_refused(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(_pods("prod")),
        calls(_pods("prod")),
        calls(call("answer", text="ok [E1]", evidence=["E1"])),
    )
    reads = Reads()
    outcome = ask(make_planner(), "why is prod slow?", seeded_inventory, lookup=reads)

    assert len(reads.calls) == 1
    refusal = openai_fake.requests[2]["messages"][-1]
    assert refusal["role"] == "tool"
    assert refusal["content"].startswith("refused: this identical lookup already ran as E1")
    assert outcome.evidence == ["E1: list_pods(namespace=prod, all_namespaces=False)"]


def test_lookups_are_grounded_and_scoped_before_they_run(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        ToolCalls(
            calls=[
                call("lookup_describe_pod", name="api-0", namespace="staging", context=None),
                _pods("payments"),
            ]
        ),
        calls(call("abstain", reason="could not look")),
    )
    reads = Reads()
    outcome = ask(
        make_planner(),
        "why is api broken in staging?",
        seeded_inventory,
        allowed_namespaces=["staging"],
        lookup=reads,
    )

    assert reads.calls == []
    replies = [m["content"] for m in openai_fake.requests[1]["messages"] if m["role"] == "tool"]
    assert replies[0].startswith("not run: ")  # existing names are quoted as data only
    assert (
        "<untrusted-data source=\"grounding\">\nno pod 'api-0' in staging; did you mean "
        "'api-6c7d-uvwxy'?\n</untrusted-data>" in replies[0]
    )
    assert replies[1].startswith("not run: ")
    assert "list_pods in namespace 'payments' is outside your scope" in replies[1]
    assert expect(Abstain, outcome).reason == "The model declined: could not look"


def test_failed_lookup_is_reported_as_evidence(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(_pods("prod")),
        calls(call("answer", text="The cluster API did not answer [E1].", evidence=["E1"])),
    )
    outcome = ask(make_planner(), "why is prod down?", seeded_inventory, lookup=Reads(fail=True))

    content = openai_fake.requests[1]["messages"][-1]["content"]
    assert "lookup failed: TimeoutError: kube api timed out" in content
    assert expect(Answer, outcome).text == "The cluster API did not answer [E1]."


def test_without_a_read_executor_no_lookup_tools_are_offered(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(call("describe_deployment", name="api", namespace="staging", context=None))
    )
    outcome = ask(make_planner(), "why is api slow in staging?", seeded_inventory)

    offered = {t["function"]["name"] for t in openai_fake.requests[0]["tools"]}
    assert not any(name.startswith("lookup_") for name in offered)
    assert isinstance(outcome, Proposed) and outcome.plan.is_read_only  # reads run via the service
