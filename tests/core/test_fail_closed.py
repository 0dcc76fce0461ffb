"""Invariant 1: nothing writes without policy, and every failure path denies with a reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.approvals.memory_store import MemoryApprovalStore
from bot.approvals.models import VoteResult
from bot.models import MessageRef, Request
from bot.replies import PlanRefused, ReplyKind, VoteAnswered
from tests.core.conftest import ALICE, BOB, CAROL, NOW, ServiceFactory, fixed_clock


def test_broken_policy_denies_everything_with_the_error(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("grants:\n  - name: x\n    users: ['*']\n    actionz: [read]\n")
    service = make_service(store=MemoryApprovalStore(), policy_path=broken)
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 2 in dev"))
    assert reply.kind == ReplyKind.DENIED
    assert "actionz" in reply.text
    read = service.handle_request(Request(principal=ALICE, text="list pods -n dev"))
    assert read.kind == ReplyKind.DENIED


def test_missing_policy_denies(make_service: ServiceFactory, tmp_path: Path) -> None:
    service = make_service(store=MemoryApprovalStore(), policy_path=tmp_path / "nope.yaml")
    reply = service.handle_request(Request(principal=ALICE, text="docker ps"))
    assert reply.kind == ReplyKind.DENIED
    assert "nope.yaml" in reply.text


def test_protected_namespace_is_denied_with_the_reason(make_service: ServiceFactory) -> None:
    service = make_service(store=MemoryApprovalStore())
    reply = service.handle_request(
        Request(principal=ALICE, text="delete pod coredns-1 -n kube-system")
    )
    assert reply.kind == ReplyKind.DENIED
    assert "kube-system is off limits" in reply.text
    assert service.store.list_pending() == []


def test_no_grant_is_denied(make_service: ServiceFactory) -> None:
    service = make_service(store=MemoryApprovalStore())
    reply = service.handle_request(Request(principal=BOB, text="scale deploy/web to 3 in dev"))
    assert reply.kind == ReplyKind.DENIED
    assert service.store.list_pending() == []


def test_store_down_stores_and_runs_nothing(make_service: ServiceFactory) -> None:
    service = make_service(redis_url="redis://127.0.0.1:1/0")
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 3 in dev"))
    assert reply.kind == ReplyKind.ERROR
    assert "nothing was stored or run" in reply.text


def test_backend_not_configured_is_said_clearly(make_service: ServiceFactory) -> None:
    service = make_service(store=MemoryApprovalStore())
    reply = service.handle_request(Request(principal=BOB, text="docker ps"))
    assert reply.kind == ReplyKind.RESULT
    assert reply.execution is not None and not reply.execution.ok
    assert "docker backend is not configured" in reply.text


def test_expired_approval_cannot_be_approved(make_service: ServiceFactory) -> None:
    now = [NOW]
    service = make_service(store=MemoryApprovalStore(), clock=lambda: now[0])
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 3 in dev"))
    assert reply.kind == ReplyKind.NEEDS_APPROVAL and reply.approval_id
    ref = MessageRef(channel="C", ts=reply.approval_id)
    service.attach_message(reply.approval_id, ref)
    now[0] = NOW + timedelta(minutes=11)
    vote = service.vote(message=ref, voter=CAROL, approve=True)
    assert isinstance(vote, VoteAnswered) and vote.result == VoteResult.EXPIRED


def test_expire_due_reports_each_expired_plan_once(make_service: ServiceFactory) -> None:
    now = [NOW]
    service = make_service(store=MemoryApprovalStore(), clock=lambda: now[0])
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 3 in dev"))
    now[0] = NOW + timedelta(minutes=11)
    expired = service.expire_due()
    assert [a.id for a in expired] == [reply.approval_id]
    assert service.expire_due() == []
    assert "expired" in [e.event for e in service.audit.recent(20)]


def test_vote_on_unknown_message_is_ignored(make_service: ServiceFactory) -> None:
    service = make_service(store=MemoryApprovalStore(), clock=fixed_clock(NOW))
    vote = service.vote(message=MessageRef(channel="C", ts="1.2"), voter=CAROL, approve=True)
    assert vote.result == VoteResult.NOT_FOUND
    assert vote.text == ""


def test_plain_language_without_llm_gets_a_helpful_message(make_service: ServiceFactory) -> None:
    service = make_service(store=MemoryApprovalStore())
    reply = service.handle_request(
        Request(principal=ALICE, text="web is slow in prod, give it two more replicas")
    )
    assert reply.kind == ReplyKind.INVALID
    assert "help" in reply.text


def test_malformed_command_shows_the_error_and_usage(make_service: ServiceFactory) -> None:
    service = make_service(store=MemoryApprovalStore())
    reply = service.handle_request(
        Request(principal=ALICE, text="scale deploy/web --replicas five")
    )
    assert reply.kind == ReplyKind.INVALID
    assert reply.usage and "scale" in reply.usage


def test_help_lists_every_operation(make_service: ServiceFactory) -> None:
    from bot.catalog import OPERATIONS

    service = make_service(store=MemoryApprovalStore())
    reply = service.handle_request(Request(principal=BOB, text="help"))
    assert reply.kind == ReplyKind.HELP
    for kind in OPERATIONS:
        assert kind in reply.text or OPERATIONS[kind].summary in reply.text


def test_an_operation_not_enabled_in_this_deployment_is_denied(
    make_service: ServiceFactory,
) -> None:
    service = make_service(
        store=MemoryApprovalStore(), enabled_operations=["list_pods", "list_containers"]
    )
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 3 in dev"))
    assert reply.kind == ReplyKind.DENIED
    assert "scale_deployment is not enabled" in reply.text
    assert service.store.list_pending() == []


def test_requests_plans_and_executions_are_counted_in_metrics(
    make_service: ServiceFactory,
) -> None:
    from bot.metrics import exposition

    def sample(name: str, **labels: str) -> float:
        body = exposition()[0].decode()
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in body.splitlines():
            if line.startswith(name + "{"):
                got = ",".join(sorted(line[len(name) + 1 : line.index("}")].split(",")))
                if got == wanted:
                    return float(line.rsplit(" ", 1)[1])
        return 0.0

    service = make_service(store=MemoryApprovalStore())
    denied = sample("opsbot_plans_total", decision="deny")
    requests = sample("opsbot_requests_total", source="t")
    failed = sample("opsbot_executions_total", operation="list_containers", result="error")
    service.handle_request(Request(principal=BOB, text="delete pod x -n kube-system", source="t"))
    service.handle_request(Request(principal=BOB, text="docker ps", source="t"))  # no Docker
    assert sample("opsbot_plans_total", decision="deny") == denied + 1
    assert sample("opsbot_requests_total", source="t") == requests + 2
    assert (
        sample("opsbot_executions_total", operation="list_containers", result="error") == failed + 1
    )


def test_policy_is_checked_again_when_the_approval_completes(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    """A plan approved after a freeze began does not run (the freeze wins over the votes): the
    policy in force at the deciding vote denies it, so it is refused and the thread told why."""
    policy = tmp_path / "freeze.yaml"
    policy.write_text(
        (Path(__file__).parent / "conftest.py")
        .read_text()
        .split('TEST_POLICY = """')[1]
        .split('"""')[0]
        + "freezes:\n  - name: evening-freeze\n    actions: [write]\n    timezone: UTC\n"
        "    weekly:\n      - {start: 'Wed 18:00', end: 'Wed 23:00'}\n"
        "    reason: evening freeze\n"
    )
    now = [NOW.replace(hour=17, minute=55)]  # Wednesday 17:55 UTC: no freeze yet
    service = make_service(store=MemoryApprovalStore(), policy_path=policy, clock=lambda: now[0])
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 3 in dev"))
    assert reply.kind == ReplyKind.NEEDS_APPROVAL and reply.approval_id, reply.text
    ref = MessageRef(channel="C", ts=reply.approval_id)
    service.attach_message(reply.approval_id, ref)
    now[0] = NOW.replace(hour=18, minute=1)
    started: list[str] = []
    vote = service.vote(
        message=ref, voter=CAROL, approve=True, on_executing=lambda a: started.append(a.id)
    )
    assert isinstance(vote, PlanRefused)  # closed, and its text goes to the whole thread
    assert started == []  # nothing started: policy stopped it first
    assert "evening freeze" in vote.text
    events = [e.event for e in service.audit.recent(20)]
    assert "refused" in events and "executed" not in events


def test_context_rules_match_the_cluster_the_step_really_runs_against(
    make_service: ServiceFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that names no context runs against the kubeconfig's current context; policy and
    the preview see that context, so a deny on `contexts: [prod-*]` applies."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: prod-eu\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: prod-eu, context: {cluster: c, user: u}}]\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    policy = tmp_path / "ctx.yaml"
    policy.write_text(
        "grants:\n  - {name: sre, groups: [sre], actions: ['*']}\n"
        "denies:\n  - {name: no-prod-clusters, actions: [write], contexts: ['prod-*'],"
        " reason: production clusters change through GitOps}\n"
        "approvals:\n  - {name: one, actions: [write], count: 1, approver_groups: [sre],"
        " expires_after: 10m}\ngroups: {alice: [sre]}\n"
    )
    service = make_service(store=MemoryApprovalStore(), policy_path=policy, kube_disabled=False)
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 3 in prod"))
    assert reply.kind == ReplyKind.DENIED
    assert "GitOps" in reply.text
    assert reply.plan is not None and reply.plan.steps[0].context == "prod-eu"  # type: ignore[union-attr]


def test_a_vote_for_a_different_plan_than_the_one_shown_never_counts(
    make_service: ServiceFactory,
) -> None:
    service = make_service(store=MemoryApprovalStore(), clock=fixed_clock(NOW))
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 3 in dev"))
    other = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 30 in dev"))
    assert reply.approval_id and other.plan is not None
    ref = MessageRef(channel="C", ts=reply.approval_id)
    service.attach_message(reply.approval_id, ref)
    vote = service.vote(message=ref, voter=CAROL, approve=True, shown_digest=other.plan.digest)
    assert isinstance(vote, VoteAnswered) and vote.result == VoteResult.DIGEST_MISMATCH
    assert "changed after it was shown" in vote.text
    rejected = service.vote(message=ref, voter=CAROL, approve=False, shown_digest=other.plan.digest)
    assert rejected.result == VoteResult.DIGEST_MISMATCH
    counted = service.vote(
        message=ref,
        voter=CAROL,
        approve=True,
        shown_digest=reply.plan.digest,  # type: ignore[union-attr]
    )
    assert counted.result == VoteResult.EXECUTE
