"""`make receiver`: a webhook receiver for the local stack, on 127.0.0.1 only, that prints each delivery and
whether its signature verifies (issue 16). Give it the secret the subscription's creation returned:

    make receiver RECEIVER_PORT=8765 WEBHOOK_SECRET=whsec_...
    curl -s -X PUT -H 'Authorization: Bearer team-a' -H 'Content-Type: application/json' \\
      http://127.0.0.1:3000/v1/subscriptions/local -d '{"materials": ["dysprosium"], "min_change": 1,
      "url": "http://127.0.0.1:8765/hooks"}'

Then PUT a signal (README "Try it"): the stream rescores, and the webhook is printed here within seconds.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import time
from typing import Any

from shared.domain.webhooks import ID_HEADER, verify


def handler_for(secret: str | None) -> type[http.server.BaseHTTPRequestHandler]:
    class Receiver(http.server.BaseHTTPRequestHandler):
        seen: set[str] = set()  # noqa: RUF012 (one receiver per process)

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(min(int(self.headers.get("Content-Length", "0")), 1024 * 1024))
            delivery = self.headers.get(ID_HEADER, "?")
            if secret is None:
                check = "not checked (no WEBHOOK_SECRET)"
            elif verify(secret, dict(self.headers), body, now=int(time.time())):
                check = "signature verified"
            else:
                check = "SIGNATURE INVALID"
            again = " (again: already processed, ignored)" if delivery in self.seen else ""
            self.seen.add(delivery)
            try:
                payload = json.loads(body)
                what = (
                    f"{payload['pair']['importer']}/{payload['pair']['material']} "
                    f"{payload['old']['score']} -> {payload['new']['score']} ({payload['new']['band']}), "
                    f"cause {payload['cause']['type']} {payload['cause']['id']}"
                )
            except (ValueError, KeyError, TypeError):
                what = f"{len(body)} bytes"
            print(f"webhook {delivery}: {what}; {check}{again}", flush=True)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Receiver


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("RECEIVER_PORT", "8765")))
    args = parser.parse_args(argv)
    secret = os.environ.get("WEBHOOK_SECRET") or None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(secret))
    print(f"receiving webhooks on http://127.0.0.1:{args.port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
