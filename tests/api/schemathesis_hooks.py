"""schemathesis hooks for the lingtan API (loaded by ``test_schemathesis.py``).

The bodies of ``POST /readings`` (NDJSON) and ``PUT /park`` (YAML, TOML) are documents whose
schema is a string: the string *is* the document. schemathesis has no serializer for NDJSON or
TOML (it would skip those media types) and would wrap a YAML string in a YAML scalar; these
serializers send the generated text as it is."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson", "application/toml", "application/yaml", "text/csv")
def document_text(ctx: Any, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    # generated text may hold lone surrogates: sent as they are, for the server to refuse
    return str(value).encode("utf-8", "surrogatepass")
