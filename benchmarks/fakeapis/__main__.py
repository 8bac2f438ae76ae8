"""`python -m fakeapis [--port N] [--seed S] [--rate-limit N/SECONDS]`: serve until interrupted."""

from __future__ import annotations

import argparse
import time

from fakeapis.server import FakeAPIServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate-limit", help="e.g. 60/60 = 60 requests per 60 s")
    args = parser.parse_args(argv)
    limit = None
    if args.rate_limit:
        count, seconds = args.rate_limit.split("/")
        limit = (int(count), float(seconds))
    with FakeAPIServer(args.seed, port=args.port, rate_limit=limit) as api:
        print(api.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
