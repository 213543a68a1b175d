"""Development tooling shared by scripts, bench, tests and the local stack (never in a Lambda package)."""
