"""Block Kit rendering from hand-built replies: what a reader sees, and what must never leak."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.adapters.slack.blocks import (
    SECTION_LIMIT,
    Emoji,
    escape,
    execution_blocks,
    preview_blocks,
    reply_blocks,
)
from bot.backends.base import ErrorKind, Result, Status
from bot.catalog.docker_ops import ContainerLogs, ListContainers
from bot.catalog.kubernetes_ops import ScaleDeployment
from bot.plan import Plan
from bot.policy.decision import ApprovalRequirement, Decision, Outcome
from bot.replies import (
    DeniedReply,
    ErrorReply,
    ExecutionReport,
    InvalidReply,
    NeedsApprovalReply,
    ResultReply,
    StepOutcome,
    StepPreview,
)

EMOJI = Emoji()
SCALE = ScaleDeployment(namespace="shop", name="web", replicas=5)


def _all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _preview_reply() -> NeedsApprovalReply:
    requirement = ApprovalRequirement(
        rule="sre-two", count=2, approver_groups=frozenset({"sre"}), ttl_seconds=1800
    )
    return NeedsApprovalReply(
        text="plain",
        plan=Plan(steps=[SCALE]),
        decision=Decision(
            outcome=Outcome.NEEDS_APPROVAL,
            reasons=["writes need approval"],
            requirements=[requirement],
        ),
        previews=[
            StepPreview(
                operation="scale_deployment",
                description="scale shop/web to 5",
                risk="write",
                current={"replicas": 2},
                desired={"replicas": 5},
                dry_run_ok=True,
            )
        ],
        approval_id="a1",
        expires_at=datetime(2026, 11, 21, 17, 30, tzinfo=UTC),
    )


def test_preview_shows_steps_risk_change_dry_run_requirements_expiry_and_status() -> None:
    rendered = preview_blocks(
        _preview_reply(),
        status="pending",
        emoji=EMOJI,
        requester="U1",
        request_text="scale deploy/web --replicas 5 -n shop",
        tally=[1],
    )
    text = _all_text(rendered.blocks)
    assert "*1. scale_deployment* · :large_orange_circle: write" in text
    assert "`replicas`: 2 → *5*" in text
    assert "Dry run accepted" in text
    assert "1/2 approvals from @sre (not the requester)" in text
    assert "writes need approval" in text
    assert "<!date^1795282200^" in text and "2026-11-21 17:30 UTC" in text
    status = rendered.blocks[-1]
    assert status["block_id"] == "status"
    assert "Pending approval" in _all_text(
        [status]
    ) and ":white_check_mark: to approve" in _all_text([status])
    assert Plan(steps=[SCALE]).digest[:12] in _all_text([status])


def test_final_statuses_drop_the_voting_hint() -> None:
    for status, label in (
        ("done", "Done"),
        ("failed", "Failed"),
        ("expired", "Expired"),
        ("rejected", "Rejected"),
        ("executing", "Approved, executing"),
    ):
        rendered = preview_blocks(_preview_reply(), status=status, emoji=EMOJI)
        line = _all_text([rendered.blocks[-1]])
        assert label in line and "to approve" not in line
        assert label in rendered.text  # the notification / fallback text says it too


def test_failed_dry_run_is_visible() -> None:
    reply = _preview_reply()
    reply.previews[0] = reply.previews[0].model_copy(
        update={"dry_run_ok": False, "dry_run_error": 'deployments.apps "web" not found'}
    )
    text = _all_text(preview_blocks(reply, status="pending", emoji=EMOJI).blocks)
    assert ':warning: Dry run failed: deployments.apps \\"web\\" not found' in text


def test_user_text_cannot_ping_or_link() -> None:
    rendered = preview_blocks(
        _preview_reply(),
        status="pending",
        emoji=EMOJI,
        requester="U1",
        request_text="<!channel> <https://evil.example|click> & more",
    )
    text = _all_text(rendered.blocks)
    assert "<!channel>" not in text and "<https://" not in text
    assert escape("<!channel>") in text and "&amp; more" in text


def test_list_results_render_as_an_aligned_table() -> None:
    rows = [{"name": "web-1", "status": "running"}, {"name": "api", "status": "exited"}]
    report = ExecutionReport(
        plan_digest="d",
        steps=[
            StepOutcome(
                operation="list_containers",
                description="list containers",
                result=Result(status=Status.SUCCESS, call="GET /containers/json", data=rows),
            )
        ],
    )
    rendered = execution_blocks(report, emoji=EMOJI, max_chars=3500)
    table = rendered.blocks[2]["text"]["text"]
    assert table == "```NAME   STATUS\nweb-1  running\napi    exited```"
    assert rendered.files == []


def test_errors_say_what_failed_the_exact_call_and_what_to_try() -> None:
    report = ExecutionReport(
        plan_digest="d",
        ok=False,
        skipped=["restart api"],
        steps=[
            StepOutcome(
                operation="scale_deployment",
                description="scale shop/web to 5",
                result=Result(
                    status=Status.ERROR,
                    error_kind=ErrorKind.FORBIDDEN,
                    call="PATCH apps/v1 namespaces/shop/deployments/web/scale",
                    error="forbidden: user cannot patch",
                    hint="ask for the edit role in shop",
                ),
            )
        ],
        undo_plan=Plan(steps=[ScaleDeployment(namespace="shop", name="web", replicas=2)]),
    )
    text = _all_text(execution_blocks(report, emoji=EMOJI, max_chars=3500).blocks)
    assert ":x: *Failed*" in text
    assert "*Error:* forbidden: user cannot patch" in text
    assert "*Call:* `PATCH apps/v1 namespaces/shop/deployments/web/scale`" in text
    assert "*Try:* ask for the edit role in shop" in text
    assert "Not run after the failure: restart api" in text
    assert "to undo" not in text  # a failed plan offers no undo


def test_long_logs_keep_the_tail_fit_a_section_and_become_a_file() -> None:
    logs = "".join(f"line {i} <&> ```\n" for i in range(2000))
    report = ExecutionReport(
        plan_digest="d",
        steps=[
            StepOutcome(
                operation="container_logs",
                description="logs of web",
                result=Result(status=Status.SUCCESS, call="GET /containers/web/logs", text=logs),
            )
        ],
    )
    rendered = execution_blocks(report, emoji=EMOJI, max_chars=100_000)
    block = rendered.blocks[2]["text"]["text"]
    assert len(block) <= SECTION_LIMIT and block.startswith("```") and block.endswith("```")
    assert "line 1999 &lt;&amp;&gt;" in block and "line 1 " not in block
    assert block.count("```") == 2  # fences inside the logs are neutralised
    assert rendered.files == [("container_logs-1.txt", logs)]
    assert "the full output is in `container_logs-1.txt`" in _all_text(rendered.blocks)


def test_secrets_in_output_are_redacted() -> None:
    report = ExecutionReport(
        plan_digest="d",
        steps=[
            StepOutcome(
                operation="container_logs",
                description="logs",
                result=Result(
                    status=Status.SUCCESS,
                    call="GET logs",
                    text="boot ok\nAuthorization: Bearer abcdefghijklmnop1234\n",
                ),
            )
        ],
    )
    text = _all_text(execution_blocks(report, emoji=EMOJI, max_chars=3500).blocks)
    assert "abcdefghijklmnop1234" not in text and "boot ok" in text


def test_read_results_denials_and_usage() -> None:
    read = ResultReply(
        text="t",
        plan=Plan(steps=[ListContainers()]),
        decision=Decision(outcome=Outcome.ALLOW),
        execution=ExecutionReport(
            plan_digest="d",
            steps=[
                StepOutcome(
                    operation="list_containers",
                    description="list",
                    result=Result(status=Status.NO_DATA, call="GET /containers/json"),
                )
            ],
        ),
    )
    text = _all_text(
        reply_blocks(
            read, emoji=EMOJI, max_chars=3500, requester="U1", request_text="/ops docker ps"
        ).blocks
    )
    assert "<@U1>: `/ops docker ps`" in text and "_Nothing found._" in text and "undo" not in text
    denied = DeniedReply(
        text="denied",
        plan=Plan(steps=[ContainerLogs(container="x")]),
        decision=Decision.deny("kube-system is managed through GitOps"),
    )
    text = _all_text(reply_blocks(denied, emoji=EMOJI, max_chars=3500).blocks)
    assert "Denied by policy" in text and "GitOps" in text
    invalid = InvalidReply(
        text="replicas must be a number",
        usage="scale deploy/NAME --replicas N [-n NS]",
    )
    text = _all_text(reply_blocks(invalid, emoji=EMOJI, max_chars=3500).blocks)
    assert (
        "replicas must be a number" in text
        and "```scale deploy/NAME --replicas N [-n NS]```" in text
    )


HOSTILE = "<!channel> <https://evil.example|click> & more"
ESCAPED = "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more"


def _assert_inert(text: str) -> None:
    assert "<!channel>" not in text and "<https://" not in text, text


def test_an_llm_explanation_is_escaped_and_labelled_as_the_models() -> None:
    plan = Plan(steps=[SCALE], source="llm", explanation=f"Scaling up. {HOSTILE}")
    reply = _preview_reply().model_copy(update={"plan": plan})
    rendered = preview_blocks(reply, status="pending", emoji=EMOJI)
    note = next(b for b in rendered.blocks if b["type"] == "context")["elements"][0]["text"]
    assert note == f"_Model's note (unverified): _Scaling up. {ESCAPED}"
    _assert_inert(_all_text(rendered.blocks))
    _assert_inert(rendered.text)


def test_fallback_texts_from_replies_and_outputs_are_escaped() -> None:
    error = reply_blocks(ErrorReply(text=f"pod {HOSTILE} not found"), emoji=EMOJI, max_chars=3500)
    assert error.text == f"pod {ESCAPED} not found"
    _assert_inert(_all_text(error.blocks))
    report = ExecutionReport(
        plan_digest="d",
        steps=[
            StepOutcome(
                operation="container_logs",
                description=f"logs of {HOSTILE}",
                result=Result(status=Status.SUCCESS, call="GET logs", text=f"boot\n{HOSTILE}\n"),
            )
        ],
    )
    done = execution_blocks(report, emoji=EMOJI, max_chars=3500)
    assert done.text == f"Done: logs of {ESCAPED}"
    blocks = _all_text(done.blocks)
    _assert_inert(blocks)
    assert ESCAPED in blocks
