"""A throwaway redis-server on loopback for the benches (or REDIS_URL when it is set)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_redis(data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit(
            "redis-server is not installed: `apt-get install -y redis-server`, or set REDIS_URL"
        )
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", data_dir, "--logfile", f"{data_dir}/redis.log"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_timeout=1)
    for _ in range(200):
        try:
            client.ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.025)
    proc.kill()
    sys.exit(f"redis-server did not start; see {data_dir}/redis.log")


def redis_for_bench(data_dir: str) -> tuple[subprocess.Popen[bytes] | None, str]:
    """REDIS_URL if set (the bench uses a throwaway key prefix), else a server of our own."""
    url = os.environ.get("REDIS_URL")
    if url:
        return None, url
    return start_redis(data_dir)
