"""The asyncio half of ``MessageBus.request``.

The extension sends the request and arranges for the reply's payload to
reach ``resolve`` in the event loop's thread; ``await_reply`` is the
coroutine the caller awaits.
"""

import asyncio
from typing import Any, Optional

from ._msgbus import PendingRequest, SynchronousTimeoutError


def resolve(future: "asyncio.Future[Any]", payload: Any) -> None:
    if not future.done():
        future.set_result(payload)


async def await_reply(
    future: "asyncio.Future[Any]", timeout: Optional[float], pending: PendingRequest
) -> Any:
    try:
        return await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError:
        raise SynchronousTimeoutError(f"no reply within {timeout} s") from None
    finally:
        pending.cancel()
