"""`make rescore`: one full rescoring pass against the running local stack (`make run` in another terminal).

python -m local.rescore [--ddb-port 8000] [--table-name RiskTable-local]
"""

from __future__ import annotations

import argparse
import os
import sys

from botocore.exceptions import BotoCoreError, ClientError

from local.dynamodb_local import local_client
from local.run import DEFAULT_DDB_PORT, describe, rescore_everything
from local.template import LOCAL_TABLE_NAME


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.rescore", description=__doc__)
    default_port = os.environ.get("DDB_PORT", "")
    parser.add_argument(
        "--ddb-port", type=int, default=int(default_port) if default_port.isdigit() else DEFAULT_DDB_PORT
    )
    parser.add_argument("--table-name", default=LOCAL_TABLE_NAME)
    args = parser.parse_args(argv)

    endpoint = f"http://127.0.0.1:{args.ddb_port}"
    probe = local_client(endpoint, timeout_s=2.0, max_attempts=1)
    try:
        probe.describe_table(TableName=args.table_name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            print(f"error: no table {args.table_name} at {endpoint}: is `make run` running there?", file=sys.stderr)
            return 1
        raise
    except BotoCoreError:
        print(
            f"error: nothing answers on {endpoint}: start the local stack with `make run` first "
            "(or pass DDB_PORT=... to match it)",
            file=sys.stderr,
        )
        return 1
    summary = rescore_everything(local_client(endpoint), args.table_name)
    print(f"rescored {args.table_name} at {endpoint}: {describe(summary)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
