"""AWS clients, built with botocore directly.

boto3.client() is a thin wrapper over a botocore session, but importing boto3 also imports s3transfer and its
dependencies into every cold start, and no function uses them (docs/decisions.md 17-18).
"""

from __future__ import annotations

import gzip
import json
import os
from functools import lru_cache
from typing import Any

from botocore.config import Config
from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader, instance_cache
from botocore.session import Session, get_session

#: Attempts per AWS call, the first one included. Three in all keep an API call inside a few seconds when the store
#: is down (then 503 + Retry-After).
MAX_ATTEMPTS = 3


def standard_retries(total_max_attempts: int = MAX_ATTEMPTS) -> Config:
    """The one retry setting of every botocore/boto3 client in this repository (the functions', the local stack's).

    Standard retry mode: exponential backoff with jitter on throttling, 5xx and connection errors, done by botocore.
    Attempts are counted with `total_max_attempts` (the first included); botocore's `max_attempts` key counts
    retries only and would make one attempt more. Merge it with a client's own settings:
    `standard_retries().merge(Config(read_timeout=30))`.
    """
    return Config(retries={"mode": "standard", "total_max_attempts": total_max_attempts})


#: No client-side parameter validation: the repository builds every request itself and DynamoDB validates them
#: anyway; botocore's check of every request was about a third of the nightly overhead (docs/decisions.md 17).
CLIENT_CONFIG = standard_retries().merge(
    Config(connect_timeout=2, read_timeout=5, tcp_keepalive=True, parameter_validation=False)
)

#: The only services the functions call.
SERVICES_USED = ("dynamodb", "events", "kms", "sqs")


class PlainDictJSONFileLoader(JSONFileLoader):
    """botocore's model file loader, decoding to plain dicts instead of OrderedDicts.

    Dicts keep insertion order (Python 3.7+), so the models are the same; but `object_pairs_hook=OrderedDict`
    takes json out of its C fast path, for endpoints.json (over 1 MB) too, which every client loads
    (docs/decisions.md 18). Same files, same search order (.json, then .json.gz) as botocore's own loader.
    """

    def load_file(self, file_path: str) -> Any:
        for extension, open_file in ((".json", open), (".json.gz", gzip.open)):
            full_path = file_path + extension
            if os.path.isfile(full_path):
                with open_file(full_path, "rb") as payload:
                    return json.loads(payload.read())
        return None


class ServicesUsedLoader(Loader):
    """botocore's data loader, told which services exist instead of finding out, reading with the loader above.

    Before loading one service model, botocore's Loader lists every service folder it ships (hundreds of them,
    thousands of listdir and stat calls) only to check that the name is known, on every cold start
    (docs/decisions.md 18). The models, versions and files loaded are botocore's own.
    """

    FILE_LOADER_CLASS = PlainDictJSONFileLoader

    @instance_cache
    def list_available_services(self, type_name: str) -> list[str]:
        available = []
        for service in SERVICES_USED:
            try:
                self.list_api_versions(service, type_name)
            except DataNotFoundError:
                continue  # e.g. a service without waiters, as botocore's own listing would leave it out
            available.append(service)
        return available


@lru_cache(maxsize=1)
def _session() -> Session:
    # One session per process: it caches credentials and the service models its clients load.
    session = get_session()
    # as botocore's own create_loader: AWS_DATA_PATH (models added by the user) is still searched first
    data_path = session.get_config_variable("data_path")
    extra_paths = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)] if data_path else []
    session.register_component("data_loader", ServicesUsedLoader(extra_search_paths=extra_paths))
    return session


def aws_client(service: str, region: str | None = None, endpoint_url: str | None = None) -> Any:
    return _session().create_client(service, region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG)
