"""nameko's ``@rpc`` as every service uses it: a caller's error is the caller's answer, not a fault of the service.

InvalidInput, NotFound, Conflict and Unavailable (:data:`marktplatz_shared.errors.CALLER_ERRORS`) go back to the
caller as ever; nameko logs them as an expected error (a warning, which :class:`marktplatz_shared.logs.JsonFormatter`
writes without a traceback), and any other exception as an error with its traceback.
"""

from __future__ import annotations

from nameko.rpc import rpc as nameko_rpc

from .errors import CALLER_ERRORS


def rpc(method):
    """``@rpc`` over a service method: it answers RPC calls."""
    return nameko_rpc(expected_exceptions=CALLER_ERRORS)(method)
