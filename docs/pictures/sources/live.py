"""Outside a test, each tp() call prints one line to stderr as it happens."""

from __future__ import annotations

import threading

from chrono import tp


def parse(line: str) -> tuple[str, str]:
    key, _, value = tp(line).partition("=")
    return tp(key.strip(), value.strip())


for line in ["host = example.org", "port=8080", "debug"]:
    parse(line)

checker = threading.Thread(target=lambda: tp("checking the port", 8080), name="checker")
checker.start()
checker.join()
