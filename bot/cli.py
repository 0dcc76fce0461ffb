"""The `opsbot` command line. Subcommands import their modules lazily so each starts fast."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from bot.models import Principal
    from bot.plan import Plan
    from bot.service.decider import Decider


def _principal_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="user", default="console-user", help="requester user id")
    parser.add_argument("--groups", default="", help="comma-separated groups of the requester")


def _principal(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from bot.models import Principal

    groups = frozenset(g.strip() for g in args.groups.split(",") if g.strip())
    return Principal(id=args.user, groups=groups)


def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    """Parse (or, with a planner configured, plan) and police a request; nothing executes."""
    from bot.parsing import HelpRequested, NotACommand, Parsed, ParseError, parse_command
    from bot.policy import load_engine_or_deny

    text = " ".join(args.text)
    parsed = parse_command(text)
    if isinstance(parsed, HelpRequested):
        print(parsed.text)
        return 0
    if isinstance(parsed, NotACommand) and settings.openai_api_key is not None:
        return _plan_with_planner(args, settings, text)
    if not isinstance(parsed, Parsed):
        message = (
            parsed.message
            if isinstance(parsed, ParseError)
            else (
                "`opsbot plan` takes explicit commands, or plain language when a planner is "
                "configured (OPENAI_API_KEY); see `opsbot plan help`"
            )
        )
        usage = parsed.usage if isinstance(parsed, ParseError) else "try `opsbot plan help`"
        if args.json:
            print(json.dumps({"error": message, "usage": usage}))
        else:
            print(f"error: {message}\nusage: {usage}", file=sys.stderr)
        return 2
    from datetime import UTC, datetime

    from bot.service.decider import Decider
    from bot.wiring import effective_kube_context

    # the service's decider: enabled operations, the policy and the fail-closed checks
    decider = Decider(
        policy=load_engine_or_deny(settings.policy_path),
        clock=lambda: datetime.now(UTC),
        enabled_operations=frozenset(settings.enabled_operations),
        default_context=effective_kube_context(settings),
    )
    requester = decider.effective(_principal(args))
    return _show_plan(parsed.plan, decider, requester, as_json=args.json)


def _show_plan(
    plan: Plan,
    decider: Decider,
    requester: Principal,
    *,
    as_json: bool,
    extra: dict[str, list[str]] | None = None,
) -> int:
    """Print a plan and the policy decision for the requester (`extra`: more JSON fields)."""
    plan = decider.in_context(plan)
    decision = decider.decide(plan, requester)
    if as_json:
        body = plan.model_dump(mode="json")
        body["decision"] = decision.model_dump(mode="json")
        print(json.dumps({**body, **(extra or {})}, indent=2))
        return 0
    from bot.render import render_requirements

    print(f"Plan (digest {plan.digest[:12]}):")
    for i, step in enumerate(plan.steps, 1):
        print(f"  {i}. [{step.risk.value}] {step.describe()}")
    print(f"Decision for {requester.id}: {decision.outcome.value}")
    for reason in decision.reasons:
        print(f"  - {reason}")
    requirements = render_requirements(decision, None)
    if requirements:
        print(requirements)
    return 0


def _plan_with_planner(args: argparse.Namespace, settings: Settings, text: str) -> int:
    """Plain language through the service's intake (the planner, guards, grounding), never
    submitted: reads the planner wants are listed, and run (as --as, through policy) only with
    --lookups."""
    from bot.models import Request
    from bot.plan import Plan
    from bot.replies import AnswerReply
    from bot.wiring import build

    service = build(settings).service
    requester = service.decider.effective(_principal(args))
    request = Request(principal=requester, text=text, source="cli", channel="cli")
    preview = service.intake.preview(request, requester, run_lookups=args.lookups)
    label = "looked up" if preview.lookups_ran else "would look up"
    key = label.replace(" ", "_")
    if isinstance(preview.result, Plan):
        if not args.json:
            for lookup in preview.lookups:
                print(f"{label}: {lookup}")
        extra = {key: list(preview.lookups)}
        return _show_plan(
            preview.result, service.decider, requester, as_json=args.json, extra=extra
        )
    reply = preview.result
    ok = isinstance(reply, AnswerReply)
    if args.json:
        body = {
            "reply": reply.kind.value,
            "text": reply.text,
            key: list(preview.lookups),
        }
        print(json.dumps(body, indent=2))
    else:
        for lookup in preview.lookups:
            print(f"{label}: {lookup}")
        print(reply.text, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 2


def cmd_policy(args: argparse.Namespace, settings: Settings) -> int:
    from bot.policy import check_command, test_command

    path = Path(args.path) if args.path else settings.policy_path
    if args.action == "check":
        return check_command(
            path,
            out=sys.stdout,
            chat_groups=frozenset(settings.slack_group_map.values()),
            docker_hosts=frozenset({"default", *settings.docker_hosts})
            if settings.docker_hosts
            else None,
        )
    return test_command(path, out=sys.stdout)


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.console import ConsoleChat
    from bot.redact import redact
    from bot.wiring import build

    wiring = build(settings)
    print(
        "opsbot console: "
        + ("Redis " + redact(settings.redis_url) if settings.redis_url else "in-process store")
    )
    for note in wiring.notes:
        print(f"  note: {note}")
    for name, reason in wiring.service.executor.unavailable().items():
        print(f"  note: {name}: {reason}")
    chat = ConsoleChat(
        service=wiring.service,
        user=_principal(args),
        out=sys.stdout,
        interrupted_after_seconds=settings.interrupted_after_seconds,
    )
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"{chat.user.id}> ", end="", flush=True)
    chat.run(sys.stdin, prompt=interactive)
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.audit import AuditLog
    from bot.wiring import redis_client_from

    client = redis_client_from(settings)
    if client is None:
        print("error: the audit trail lives in Redis; set REDIS_URL", file=sys.stderr)
        return 2
    for entry in AuditLog(client=client, prefix=settings.key_prefix).recent(args.count):
        if args.json:
            print(entry.model_dump_json())
            continue
        who = entry.requester or "-"
        extra = f" by {entry.actor}" if entry.actor else ""
        print(
            f"{entry.ts:%Y-%m-%d %H:%M:%S} {entry.event:<17} {who}{extra} "
            f"{(entry.plan_digest or '')[:12]} {entry.outcome or ''} {entry.plan or ''}".rstrip()
        )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.platform == "matrix":
        from bot.adapters.matrix.bot import serve_command as serve_matrix

        return serve_matrix(settings)
    from bot.adapters.slack.transport import serve_command

    workers = {"workers": args.workers, "worker_threads": args.worker_threads}
    if args.platform == "slack":
        return serve_command(settings, mode=args.mode, host=args.host, port=args.port, **workers)
    from bot.adapters.matrix.client import MatrixSettingsError, check_settings

    try:
        check_settings(settings)
    except MatrixSettingsError as exc:
        print(f"opsbot: {exc}", file=sys.stderr)
        return 2
    return serve_command(
        settings, mode=args.mode, host=args.host, port=args.port, with_matrix=True, **workers
    )


def cmd_work(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.slack.worker_process import work_command

    return work_command(settings, threads=args.threads)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evals import eval_command

    return eval_command(Path(args.cases), settings=settings, out=sys.stdout, as_json=args.json)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.reports.terminal_report import report_command

    return report_command(settings, out=sys.stdout, as_json=args.json)


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    """Validate Alertmanager routing and runbook files (file:line problems)."""
    from bot.receivers.alertmanager.config import check_files

    files = [Path(f) for f in args.files]
    problems = check_files(files)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"ok: {', '.join(str(f) for f in files)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opsbot", description=__doc__)
    parser.add_argument("--policy", help="policy file or folder (default: OPSBOT_POLICY_PATH)")
    sub = parser.add_subparsers(dest="command", required=True)

    plan = sub.add_parser("plan", help="show the plan and policy decision for a request")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.add_argument(
        "--lookups",
        action="store_true",
        help="plain language: run the reads the planner wants (as --as, through policy); "
        "without it they are listed as 'would look up', not run",
    )
    _principal_args(plan)
    plan.add_argument("text", nargs="+", help="the request, e.g. 'scale deploy/web to 5 in prod'")
    plan.set_defaults(func=cmd_plan)

    policy = sub.add_parser("policy", help="validate or test policy files")
    policy.add_argument("action", choices=["check", "test"])
    policy.add_argument("path", nargs="?", help="policy file or folder (default: policies/)")
    policy.set_defaults(func=cmd_policy)

    console = sub.add_parser("console", help="terminal chat with the bot")
    _principal_args(console)
    console.set_defaults(func=cmd_console)

    audit = sub.add_parser("audit", help="show recent audit entries")
    audit.add_argument("-n", "--count", type=int, default=20)
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(func=cmd_audit)

    serve = sub.add_parser("serve", help="run the chat bot (Slack, Matrix or both)")
    serve.add_argument("--platform", choices=["slack", "matrix", "both"], default="slack")
    serve.add_argument("--mode", choices=["socket", "http"], default="socket")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP mode: address to bind")
    serve.add_argument("--port", type=int, default=3000, help="HTTP mode: port")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes for the intake queue (0: threads in this process; "
        "default: 2 with REDIS_URL, else 0)",
    )
    serve.add_argument(
        "--worker-threads", type=int, default=4, help="threads per worker (or in-process)"
    )
    serve.set_defaults(func=cmd_serve)

    work = sub.add_parser("work", help="one intake worker process (started by serve --workers)")
    work.add_argument("--threads", type=int, default=4)
    work.set_defaults(func=cmd_work)

    evals = sub.add_parser("eval", help="evaluate the planner on a YAML case set")
    evals.add_argument("cases", help="YAML file of cases, e.g. evals/cases.yaml")
    evals.add_argument("--json", action="store_true")
    evals.set_defaults(func=cmd_eval)

    report = sub.add_parser("report", help="print a health report")
    report.add_argument("--json", action="store_true")
    report.set_defaults(func=cmd_report)
    alerts = sub.add_parser("alerts", help="check Alertmanager routing and runbook files")
    alerts.add_argument("action", choices=["check"])
    alerts.add_argument("files", nargs="+", help="routing and runbook YAML files")
    alerts.set_defaults(func=cmd_alerts)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `opsbot plan help | head`: the reader left; that is fine
        sys.stderr.close()
        return 0


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    if args.policy:
        settings = settings.model_copy(update={"policy_path": Path(args.policy)})
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    if args.command in {"console", "plan", "policy", "report", "eval", "audit", "alerts"}:
        # terminal commands: the trail goes to Redis; keep the terminal readable. `serve`
        # keeps the JSON audit lines on stderr, the copy that survives a Redis outage.
        logging.getLogger("opsbot.audit").setLevel(logging.WARNING)
    for chatty in ("httpx", "httpx2", "openai", "urllib3"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    result: int = args.func(args, settings)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
