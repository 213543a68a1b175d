"""Webhook signing secrets sealed with AWS KMS (shared.ports.SecretSealer): Encrypt/Decrypt under one symmetric key,
with the tenant and subscription as encryption context (a sealed secret opens only for its own subscription; each
Decrypt names them in CloudTrail). The local stack runs the same code against moto's KMS (local.messaging)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.adapters.aws import aws_client
from shared.domain.errors import StoreUnavailableError

#: the sealed form: a version tag, then the KMS ciphertext blob in base64
_PREFIX = "kms1:"


class KmsSecretSealer:
    """Implements shared.ports.SecretSealer with KMS."""

    def __init__(self, key_id: str, region: str, client: Any = None) -> None:
        self.key_id = key_id
        self.client = client if client is not None else aws_client("kms", region)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            # never the secret or the ciphertext in the message: the operation and the error class only
            raise StoreUnavailableError(f"KMS {operation} failed: {exc.__class__.__name__}") from exc

    def seal(self, secret: str, context: Mapping[str, str]) -> str:
        response = self._call("encrypt", KeyId=self.key_id, Plaintext=secret.encode(), EncryptionContext=dict(context))
        return _PREFIX + base64.b64encode(response["CiphertextBlob"]).decode()

    def open(self, sealed: str, context: Mapping[str, str]) -> str:
        blob = base64.b64decode(sealed.removeprefix(_PREFIX))
        response = self._call("decrypt", KeyId=self.key_id, CiphertextBlob=blob, EncryptionContext=dict(context))
        return bytes(response["Plaintext"]).decode()
