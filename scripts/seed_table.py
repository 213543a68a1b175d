"""Loads the seed data (a data vintage) into a deployed table, then has every scored pair rescored once.

    python scripts/seed_table.py --table <TableName output> --queue-url <RescoreQueueUrl output> [--region eu-west-1]
    python scripts/seed_table.py --table <TableName output> --in-process [--endpoint-url URL]

The items are written as one bulk load (marked with a load id, which the table stream's filter drops: no rescoring
per item), then ONE rescoring run `load-<load id>` is queued, as the nightly planner queues one; follow it with
GET /v1/rescore/load-<load id>. With --in-process (a first deployment, DynamoDB Local) the scores are computed here
instead. Uses your normal AWS credentials; with --endpoint-url it works on DynamoDB Local too. SCORED_IMPORTERS,
when set, overrides the scored set as it does for the functions.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from shared.adapters.dynamodb_repository import DynamoRiskRepository, make_dynamodb_client
from shared.adapters.messaging import SqsChunkQueue
from shared.adapters.seed_files import read_seed
from shared.config import Settings
from shared.services.importers import scored_importers
from shared.services.rescoring import rescore_all
from shared.services.seeding import load_vintage, new_load_id, seed_reference_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--endpoint-url", default=None)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--queue-url", help="the stack's rescoring queue: the rescoring runs on the workers")
    target.add_argument("--in-process", action="store_true", help="compute every score in this process")
    args = parser.parse_args()
    override = Settings.from_environment().scored_importer_codes
    repo = DynamoRiskRepository(args.table, make_dynamodb_client(args.endpoint_url, args.region))
    now = datetime.now(UTC).replace(microsecond=0)
    load_id = new_load_id(now)
    if args.queue_url:
        queue = SqsChunkQueue(args.queue_url, region=args.region)
        loaded = load_vintage(repo, queue, read_seed(), load_id, now, override)
        print(
            f"loaded {loaded.counts} (load {load_id}); rescoring run {loaded.run.run_id}: "
            f"{loaded.run.chunks_total} chunks queued; follow GET /v1/rescore/{loaded.run.run_id}"
        )
        return
    counts = seed_reference_data(repo, read_seed(), load_id)
    summary = rescore_all(repo, now, scored_importers(repo, override))
    print(f"seeded {counts} (load {load_id}); scored {summary.pairs_scored} pairs as of {summary.as_of.isoformat()}")


if __name__ == "__main__":
    main()
