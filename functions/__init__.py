"""The Lambda handlers, one package per function (template.yaml: Handler functions.<name>.app.lambda_handler).

Lambda imports this package before any handler module: the cyclic GC is paused here for the init phase, and each
handler module ends with `init_done()` (shared/runtime.py explains why).
"""

from __future__ import annotations

from shared.runtime import begin_init

begin_init()
