"""Run one fake as its own process (the benchmark does, so fake and client do not share
a GIL): ``python -m tests.helpers.fakes moneybird|exact --port P [--window S]``."""

from __future__ import annotations

import argparse

import uvicorn

from tests.helpers.fakes.exact import FakeExact
from tests.helpers.fakes.moneybird import FakeMoneybird, openapi_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", choices=["moneybird", "exact"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--window", type=float, default=None, help="Moneybird: 5-min window, s")
    parser.add_argument("--minute", type=float, default=60.0, help="Exact: the minute, s")
    args = parser.parse_args()
    if args.which == "moneybird":
        fake = FakeMoneybird(spec_path=openapi_path(), window=args.window or 300.0)
    else:
        scale = args.minute / 60.0
        fake = FakeExact(minute=args.minute, day=86400 * scale)
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
