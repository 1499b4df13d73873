"""One credential scrubber for everything the tool stores or prints.

Free text that can carry a credential (error messages, echoed HTTP bodies, quoted config
lines, tracebacks) goes through :func:`scrub_text` before it reaches a table, the manifest,
a log, a report or the terminal; whole columns go through :func:`scrub_array`, which applies
the same patterns in bulk with RE2 (``pyarrow.compute``). The patterns are written in the
subset of syntax that Python's ``re`` and RE2 share, so both give the same text.

What goes:

- a URL's userinfo, path, query and fragment: only ``scheme://host[:port]`` stays. The
  userinfo ends at the *last* ``@`` before the host, so a password with a raw ``@``
  (``https://elastic:Pa@ss@apm.example``) goes whole; a port must be digits, so a password
  with a raw ``/`` cannot pass for a port;
- ``Bearer``/``Basic`` credentials and ``key=value`` / ``"key": "value"`` pairs whose key
  names a secret (password, token, secret, api key, access key, credential, authorization,
  signature);
- JSON Web Tokens and PEM blocks (private keys, certificates) wherever they stand.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["REDACTED", "scrub_array", "scrub_text"]

REDACTED: Final = "***"

_SECRET_KEY: Final = (
    r"(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key"
    r"|credentials?|authorization|x-auth-token|signature|sig|private[_-]?key|client[_-]?key)"
)

# (pattern, replacement): applied in this order by both engines.
PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    # PEM blocks: keys and certificates, however long.
    (r"-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----", REDACTED),
    # URLs: scheme, then userinfo up to the last @ of the authority, host, digits-only port.
    (
        r"([A-Za-z][A-Za-z0-9+.\-]*://)(?:[^\s/?#'\"<>]*@)?"
        r"(\[[0-9A-Fa-f:.]+\]|[^\s/?#'\"<>@:\[\]]*)(:[0-9]+)?[^\s'\"<>]*",
        r"\1\2\3",
    ),
    # Authorization schemes followed by their credential.
    (r"(?i)\b(bearer|basic|token|negotiate)\s+[A-Za-z0-9._~+/=\-]{8,}", r"\1 " + REDACTED),
    # key=value, key: value, "key": "value" where the key names a secret.
    (
        r"(?i)([\"']?[\w.\-]*" + _SECRET_KEY + r"[\w.\-]*[\"']?\s*[:=]\s*[\"']?)"
        r"[^\s\"',;&}\]]+",
        r"\1" + REDACTED,
    ),
    # JSON Web Tokens anywhere.
    (r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*", REDACTED),
)

_COMPILED: Final = tuple((re.compile(p), r) for p, r in PATTERNS)


def scrub_text(text: str) -> str:
    """``text`` without credentials: URLs reduced to ``scheme://host[:port]``, secret values
    and tokens replaced by ``***``."""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text


def scrub_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`scrub_text` over a whole string column at once (RE2; nulls stay null)."""
    import pyarrow.compute as pc

    for pattern, replacement in PATTERNS:
        values = pc.replace_substring_regex(values, pattern=pattern, replacement=replacement)
    return values
