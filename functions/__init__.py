"""The Lambda handlers, one package per function (template.yaml: Handler functions.<name>.app.lambda_handler).

Cold start: Lambda's runtime imports this package before any handler module, so it pauses Python's cyclic garbage
collector here, and each handler module calls `init_done()` as its last statement. Importing a function's modules
allocates ~120k long-lived objects, so the collector ran ~170 times during the read API's init, one of them a full
collection, ~30 ms of a ~255 ms cold start, and found ~700 objects of garbage (docs/decisions.md 18).
`init_done()` then freezes what the imports built (gc.freeze: those objects are never scanned again, which also
keeps later collections in warm requests short) and turns the collector back on.
"""

from __future__ import annotations

import gc

gc.disable()


def init_done() -> None:
    """Call once, at the end of a handler module: the init phase is over, collect garbage normally again."""
    gc.freeze()
    gc.enable()
