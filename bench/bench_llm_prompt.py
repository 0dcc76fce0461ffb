"""How big the LLM prompt is: tool selection over the eval cases, and growth with cluster size.

Run: uv run python bench/bench_llm_prompt.py [evals/cases.yaml]
1. For every eval case, the first model call's prompt tokens with every tool (before) and with
   the tools selected for the request (after, bot/planning/toolselect.py), the ratio, and how
   many distinct tool lists the cases produce (each a stable prefix a server can cache).
   Tokens are estimated as characters / 4 of the JSON sent (messages + tools), the estimate the
   fake server reports as usage; real tokenizers differ by a few percent.
2. Per inventory size, the characters of the compact inventory block, the whole system prompt,
   and the time to build the view; the ratio column compares with the smallest.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bot.evals.case_file import load_cases
from bot.planning.prompt import compact_inventory, request_message, system_prompt
from bot.planning.static_inventory import StaticInventory
from bot.planning.tools import all_tools, offered_tools
from bot.planning.toolselect import select_families

TARGET_TOKENS = 5600  # per call, before the catalog grew (issue 12)


def inventory(namespaces: int, per_namespace: int) -> StaticInventory:
    deployments = {
        f"ns-{i}": [f"svc-{i}-{j}" for j in range(per_namespace)] for i in range(namespaces)
    }
    pods = {ns: [f"{d}-7f9c4-abcde" for d in names] for ns, names in deployments.items()}
    return StaticInventory(deployments=deployments, pods=pods, containers=["edge", "cache"])


def _tokens(messages: list[dict[str, str]], tools: list[dict[str, object]]) -> int:
    return (len(json.dumps(messages)) + len(json.dumps(tools))) // 4


def _shared(a: str, b: str) -> int:
    """Characters of the common prefix of two prompts."""
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def tool_selection(path: Path) -> None:
    cases = load_cases(path)
    inventory = cases.inventory.build()
    system = system_prompt(max_lookups=3)
    everything = all_tools(with_lookups=True)
    print(f"{'case':<34} {'families':<44} {'before':>7} {'after':>6} {'ratio':>6}")
    before_total = after_total = 0
    seen: list[str] = []
    reused = 0
    for case in cases.cases:
        view = compact_inventory(
            inventory, text=case.request, allowed_namespaces=case.allowed_namespaces
        )
        user = request_message(
            allowed_namespaces=case.allowed_namespaces, inventory_block=view, text=case.request
        )
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        chosen = select_families(case.request)
        tools = offered_tools(chosen, with_lookups=True, with_more=True)
        before, after = _tokens(messages, everything), _tokens(messages, tools)
        before_total += before
        after_total += after
        prefix = system + json.dumps(tools)  # what a cache can reuse: system prompt + tools
        reused += max((_shared(prefix, earlier) for earlier in seen), default=0)
        seen.append(prefix)
        print(
            f"{case.id[:34]:<34} {','.join(chosen)[:44]:<44} {before:>7} {after:>6} "
            f"{after / before:>6.2f}"
        )
    n = len(cases.cases)
    print(
        f"\nper call, mean over {n} cases: before {before_total / n:.0f} tokens, after "
        f"{after_total / n:.0f} tokens, ratio {after_total / before_total:.2f} "
        f"(target <= {TARGET_TOKENS})"
    )
    print(
        f"distinct tool lists: {len(set(seen))}; system prompt + tools reusable from an earlier "
        f"case: {reused / sum(len(p) for p in seen):.0%} of those characters on average\n"
    )


def main() -> None:
    tool_selection(Path(sys.argv[1] if len(sys.argv) > 1 else "evals/cases.yaml"))
    tools_chars = len(json.dumps(all_tools(with_lookups=True)))
    print(f"every tool schema: {tools_chars} chars (~{tools_chars // 4} tokens)")
    print(f"{'names':>8} {'view chars':>11} {'prompt chars':>13} {'build ms':>9} {'x prompt':>9}")
    base = None
    for namespaces, per_ns in ((5, 20), (20, 50), (100, 100), (200, 250)):
        inv = inventory(namespaces, per_ns)
        text = f"restart svc-{namespaces - 1}-3 in ns-{namespaces - 1}, it is slow"
        started = time.perf_counter()
        view = compact_inventory(inv, text=text, allowed_namespaces=["*"])
        elapsed = (time.perf_counter() - started) * 1000
        prompt = system_prompt(max_lookups=3) + request_message(
            allowed_namespaces=["*"], inventory_block=view, text=text
        )
        base = base or len(prompt)
        names = namespaces * per_ns * 2
        print(
            f"{names:>8} {len(view):>11} {len(prompt):>13} {elapsed:>9.1f} "
            f"{len(prompt) / base:>9.2f}"
        )


if __name__ == "__main__":
    main()
