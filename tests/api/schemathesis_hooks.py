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


#: the wrong-typed cases of the coverage phase already sent, by what they put wrong (below)
_WRONG_TYPES_SENT: set[tuple[str, ...]] = set()


@schemathesis.hook
def filter_case(ctx: Any, case: Any) -> bool:
    """Send each wrong-typed value of the coverage phase once.

    For a wrong-typed query or path parameter the phase sends its five wrong values (``AAA``,
    ``null``, ``true``, ``0.5``, a repeated parameter) once for every combination of the
    operation's other, valid parameters: 40 requests for ``year`` of an operation with seven
    optional parameters, each refused 422 for the same ``year``. Each wrong value goes once.
    For a JSON body it sends about five wrong types per field, which the body's model refuses
    alike: one per field goes. The bodies lingtan's own parsers read (CSV, NDJSON, YAML, TOML,
    files: not ``application/json``) keep every case; so do the fuzzing and stateful phases.
    """
    meta = case.meta
    data = getattr(getattr(meta, "phase", None), "data", None)
    if getattr(data, "scenario", None) != "incorrect_type":
        return True
    where = data.parameter_location  # schemathesis's ParameterLocation (a str enum)
    if where == "body":
        if case.media_type != "application/json":
            return True
        key = (case.operation.label, "body", str(data.location))
    else:
        value = (getattr(case, where.container_name) or {}).get(data.parameter)
        key = (case.operation.label, str(where.value), str(data.parameter), repr(value))
    if key in _WRONG_TYPES_SENT:
        return False
    _WRONG_TYPES_SENT.add(key)
    return True
