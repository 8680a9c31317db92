"""One transaction per API write, answer included (issue 10 §2 of §1: "a response is
never built after a commit from data that may not read back, and no 4xx leaves
anything written").

``AtomicWrites`` runs a write request (POST, PUT, PATCH, DELETE) — the service, the
re-read of what it wrote, the serialisation and the rendering of the answer — in one
``transaction.atomic`` block, and rolls it back when the answer is an error (4xx or
5xx, whether raised or returned): what an integration is told failed did not happen.
Services keep their own ``atomic`` blocks (savepoints inside this one) and their row
locks, held until the answer is ready; ``on_commit`` work (queued jobs) runs after the
whole answer is built.

Not for batch endpoints (``POST /api/v1/leads/bulk/``, arrays of activities): there a
bad row is that row's error and the good rows are saved by design, and a batch takes
its identity locks chunk by chunk — one transaction over every chunk could deadlock
two clients whose batches share keys in a different order.
"""

from __future__ import annotations

from django.db import transaction
from rest_framework.permissions import SAFE_METHODS


class AtomicWrites:
    """Mix into a DRF ``APIView`` before it: its writes and their answer commit
    together, or not at all."""

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()  # a value that cannot be rendered fails here, rolled back
            if response.status_code >= 400:
                transaction.set_rollback(True)
        return response
