"""How the LLM prompt grows with cluster size (it should not): inventory view size and time.

Run: uv run python bench/bench_llm_prompt.py
Prints, per inventory size, the characters of the compact inventory block, the whole system
prompt plus tools, and the time to build the view; the ratio column compares with the smallest.
"""

from __future__ import annotations

import json
import time

from bot.planning.inventory import StaticInventory
from bot.planning.prompt import compact_inventory, request_message, system_prompt
from bot.planning.tools import all_tools


def inventory(namespaces: int, per_namespace: int) -> StaticInventory:
    deployments = {
        f"ns-{i}": [f"svc-{i}-{j}" for j in range(per_namespace)] for i in range(namespaces)
    }
    pods = {ns: [f"{d}-7f9c4-abcde" for d in names] for ns, names in deployments.items()}
    return StaticInventory(deployments=deployments, pods=pods, containers=["edge", "cache"])


def main() -> None:
    tools_chars = len(json.dumps(all_tools(with_lookups=True)))
    print(f"tool schemas (fixed): {tools_chars} chars (~{tools_chars // 4} tokens)")
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
