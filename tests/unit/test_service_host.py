"""The local service host runs one invocation at a time and serves API requests first."""

from __future__ import annotations

import threading
import time

from infra.local.service_host import Container


def test_a_waiting_request_goes_before_a_waiting_queue_invocation() -> None:
    container = Container()
    order: list[str] = []
    running = threading.Event()
    release = threading.Event()

    def busy_invocation() -> None:
        with container.invocation():
            running.set()
            release.wait(5)
            order.append("first invocation")

    def work(kind: str) -> None:
        with getattr(container, kind)():
            order.append(kind)

    first = threading.Thread(target=busy_invocation)
    first.start()
    running.wait(5)
    poller = threading.Thread(target=work, args=("invocation",))
    poller.start()
    time.sleep(0.05)  # the poller is waiting for the container
    request = threading.Thread(target=work, args=("request",))
    request.start()
    time.sleep(0.05)
    release.set()
    for thread in (first, poller, request):
        thread.join(5)
    assert order == ["first invocation", "request", "invocation"]


def test_requests_and_invocations_never_overlap() -> None:
    container = Container()
    inside = 0
    overlaps = 0
    guard = threading.Lock()

    def enter(kind: str) -> None:
        nonlocal inside, overlaps
        for _ in range(50):
            with getattr(container, kind)():
                with guard:
                    inside += 1
                    overlaps += inside > 1
                time.sleep(0.0005)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=enter, args=(kind,))
               for kind in ("request", "invocation") * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert overlaps == 0
