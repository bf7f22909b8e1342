"""The digest that tells two bodies sent with the same ``Idempotency-Key`` apart.

The body is compared as parsed (key order, spacing and ``85`` versus ``85.0`` do not make it
another body); the records themselves are kept by ``bot.services.api_tokens``.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel


def body_digest(body: BaseModel) -> str:
    canonical = json.dumps(
        body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
