"""`python -m bot.adapters.slack --mode http --port 3000`: the Slack app without the full CLI."""

from __future__ import annotations

import argparse
import logging

from bot.adapters.slack.transport import serve_command
from bot.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.adapters.slack")
    parser.add_argument("--mode", choices=("socket", "http"), default="socket")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP mode: address to bind")
    parser.add_argument("--port", type=int, default=3000, help="HTTP mode: port (0: any free)")
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    return serve_command(settings, mode=args.mode, host=args.host, port=args.port)


if __name__ == "__main__":
    raise SystemExit(main())
