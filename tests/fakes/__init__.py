"""In-memory fakes of the ports (shared/ports) for service unit tests: fast, no moto, no sockets.

tests/contract holds them to the same contract as the DynamoDB adapter (moto and DynamoDB Local)."""

from tests.fakes.messaging import InProcessChunkQueue, RecordingPublisher
from tests.fakes.store import InMemoryRiskStore
from tests.fakes.subscriptions import FakeSecretSealer, RecordingDeliveryQueue, ScriptedSender

__all__ = [
    "FakeSecretSealer",
    "InMemoryRiskStore",
    "InProcessChunkQueue",
    "RecordingDeliveryQueue",
    "RecordingPublisher",
    "ScriptedSender",
]
