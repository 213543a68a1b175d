"""The only place Logger and Metrics are created (service name and namespace come from POWERTOOLS_* env)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="materials-risk")
metrics = Metrics(namespace="MaterialsRisk", service="materials-risk")
