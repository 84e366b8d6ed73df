"""Headers every HTTP answer of the service carries, whoever writes it: the
application (api/headers.py) or the server's own refusals (infra/http_guard.py).

no-store: answers carry secrets (a new key's secret) and tenant data that no
shared or browser cache should keep; nosniff: a CSV or JSON answer is never
run as a script or page.
"""

from __future__ import annotations

FIXED_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
)
