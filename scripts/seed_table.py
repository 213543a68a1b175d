"""Loads the seed data into a deployed table and computes every default score.

    python scripts/seed_table.py --table <TableName output> [--region eu-west-1] [--endpoint-url URL]

Uses your normal AWS credentials; with --endpoint-url it works on DynamoDB Local too.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from shared.adapters.dynamodb_repository import DynamoRiskRepository, make_dynamodb_client
from shared.adapters.seed_files import read_seed
from shared.services.rescoring import rescore_all
from shared.services.seeding import seed_reference_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--endpoint-url", default=None)
    args = parser.parse_args()
    repo = DynamoRiskRepository(args.table, make_dynamodb_client(args.endpoint_url, args.region))
    counts = seed_reference_data(repo, read_seed())
    summary = rescore_all(repo, datetime.now(UTC).replace(microsecond=0))
    print(f"seeded {counts}; scored {summary.pairs_scored} pairs as of {summary.as_of.isoformat()}")


if __name__ == "__main__":
    main()
