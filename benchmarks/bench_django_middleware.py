"""Requests per second through Django's test client, with and without ``ChronoMiddleware``.

    python benchmarks/bench_django_middleware.py [--requests 400] [--rounds 15] [--runs 3]

Five configurations, each with its own test client, timed in interleaved rounds (the order
rotates from round to round) so that a shared machine's drift falls on all of them alike:

* chrono off, no middleware: the baseline;
* chrono off, with the middleware: it raises ``MiddlewareNotUsed`` when Django builds the
  chain, so it should cost nothing at all;
* chrono on, no middleware;
* chrono on, with the middleware: one context story started and stopped per request;
* chrono on, with the middleware, and a view that calls ``tp`` three times: what recording
  the request's events adds.

The view returns a small ``HttpResponse``; no database. "Off" is ``chrono.disable()`` before
the client's first request, which is what ``CHRONO=off`` does at import. A figure is the median
over runs of the median over rounds; ratios are taken round by round against the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import django
from _harness import environment_lines, format_table
from django.conf import settings

import chrono
from chrono import tp

settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmark",
    ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    LOGGING_CONFIG=None,
)
django.setup()

from django.http import HttpResponse  # noqa: E402 (needs the settings above)
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

MIDDLEWARE = ["chrono.django.ChronoMiddleware"]


def plain_view(request: object) -> HttpResponse:
    return HttpResponse(b"ok")


def traced_view(request: object) -> HttpResponse:
    cart = tp({"sku": "MUG", "quantity": 2})
    total = tp(cart["quantity"] * 8)
    tp("responding", total)
    return HttpResponse(b"ok")


urlpatterns = [path("plain", plain_view), path("traced", traced_view)]


@dataclass
class Configuration:
    label: str
    enabled: bool
    middleware: bool
    url: str = "/plain"
    client: Client = field(init=False, repr=False)
    #: Requests per second, one list of rounds per run.
    runs: list[list[float]] = field(default_factory=list)

    def prepare(self) -> None:
        """Build the client's middleware chain under this configuration's switch."""
        self.switch()
        self.client = Client()
        with override_settings(MIDDLEWARE=MIDDLEWARE if self.middleware else []):
            response = self.client.get(self.url)  # the chain is built on the first request
        assert response.status_code == 200

    def switch(self) -> None:
        if self.enabled:
            chrono.enable()
        else:
            chrono.disable()

    def time(self, requests: int) -> float:
        self.switch()
        client, url = self.client, self.url
        start = time.perf_counter()
        for _ in range(requests):
            client.get(url)
        return requests / (time.perf_counter() - start)

    @property
    def per_second(self) -> float:
        return statistics.median(statistics.median(rounds) for rounds in self.runs)


def ratio(configuration: Configuration, baseline: Configuration) -> float:
    per_run = [
        statistics.median(a / b for a, b in zip(mine, theirs))
        for mine, theirs in zip(configuration.runs, baseline.runs)
    ]
    return statistics.median(per_run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per round")
    parser.add_argument("--rounds", type=int, default=15, help="rounds per run")
    parser.add_argument("--runs", type=int, default=3, help="runs")
    arguments = parser.parse_args()

    configurations = [
        Configuration("chrono off, no middleware", enabled=False, middleware=False),
        Configuration("chrono off, middleware", enabled=False, middleware=True),
        Configuration("chrono on, no middleware", enabled=True, middleware=False),
        Configuration("chrono on, middleware", enabled=True, middleware=True),
        Configuration(
            "chrono on, middleware, 3 tp calls", enabled=True, middleware=True, url="/traced"
        ),
    ]
    for configuration in configurations:
        configuration.prepare()
        configuration.time(arguments.requests // 4)  # warm up
    for _ in range(arguments.runs):
        for configuration in configurations:
            configuration.runs.append([])
        for round_index in range(arguments.rounds):
            shift = round_index % len(configurations)
            for configuration in [*configurations[shift:], *configurations[:shift]]:
                configuration.runs[-1].append(configuration.time(arguments.requests))

    baseline = configurations[0]
    rows = [
        [
            configuration.label,
            f"{configuration.per_second:,.0f}",
            f"{1e6 / configuration.per_second:,.1f} µs",
            f"{ratio(configuration, baseline):.3f}",
        ]
        for configuration in configurations
    ]
    print("\n".join(environment_lines()))
    print(
        f"Django {django.get_version()}; test client, {arguments.requests} requests per round, "
        f"{arguments.rounds} rounds x {arguments.runs} runs, medians"
    )
    print()
    print(format_table(["configuration", "requests/s", "per request", "vs baseline"], rows))


if __name__ == "__main__":
    main()
