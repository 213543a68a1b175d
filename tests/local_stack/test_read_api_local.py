"""The read-API handler tests again, on Amazon DynamoDB Local instead of moto (limits and key rules are real)."""

from tests.integration.test_read_api import *  # noqa: F403  (the same tests, collected here with this tier's fixtures)
