"""Default synchronous messaging (send_synchronous, asyncio request,
reply) and direct synchronous messaging (send_direct)."""

import asyncio
import threading

import pytest

import msgbus
from conftest import PATIENCE, Latch, Recorder


def replier(bus, name, answer):
    bus.register_listener(name, lambda request: bus.reply(request, answer(request)))


def test_seed_scenario_reply_reaches_the_response_destination(bus):
    bus.add_destination("acme/n8k5_able", "serial")
    bus.add_destination("acme/n8k5_baker", "serial")
    replier(bus, "acme/n8k5_able", lambda _: "N8K5CharlieMessageListener")
    replies = Recorder()
    bus.register_listener("acme/n8k5_baker", replies)
    bus.send(
        "acme/n8k5_able",
        msgbus.Message("N8K5Baker#_activate", response_destination_name="acme/n8k5_baker"),
    )
    assert replies.done.wait()
    assert replies.items == [("N8K5CharlieMessageListener", "acme/n8k5_baker-1")]


def test_send_synchronous_returns_the_reply(bus):
    bus.add_destination("acme/echo", "serial")
    requests = []
    bus.register_listener("acme/echo", lambda r: (requests.append(r), bus.reply(r, r.payload * 2)))
    assert bus.send_synchronous("acme/echo", 21) == 42
    assert requests[0].response_id
    assert requests[0].response_destination_name == "msgbus/default_response"


def test_a_null_reply_is_a_reply_and_silence_is_a_timeout(bus):
    bus.add_destination("acme/null", "serial")
    replier(bus, "acme/null", lambda _: None)
    assert bus.send_synchronous("acme/null", "q") is None
    bus.add_destination("acme/silent", "serial")
    bus.register_listener("acme/silent", lambda m: None)
    with pytest.raises(msgbus.SynchronousTimeoutError) as raised:
        bus.send_synchronous("acme/silent", "q", timeout=0.05)
    assert isinstance(raised.value, TimeoutError)
    assert isinstance(raised.value, msgbus.MessageBusError)


def test_send_synchronous_errors(bus):
    with pytest.raises(msgbus.NoSuchDestinationError):
        bus.send_synchronous("acme/none", "q")
    bus.add_destination("acme/deaf", "serial")
    with pytest.raises(msgbus.NoListenersError):
        bus.send_synchronous("acme/deaf", "q")


def test_concurrent_send_synchronous_from_many_threads(bus):
    bus.add_destination("acme/busy", "parallel", workers_core_size=4, workers_max_size=8)
    replier(bus, "acme/busy", lambda r: r.payload)
    failures = []

    def client(base):
        for i in range(base, base + 100):
            reply = bus.send_synchronous("acme/busy", i, timeout=PATIENCE)
            if reply != i:
                failures.append((i, reply))

    threads = [threading.Thread(target=client, args=(t * 1000,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_asyncio_gather_of_many_requests(bus):
    bus.add_destination("acme/async", "parallel")
    replier(bus, "acme/async", lambda r: r.payload + 1)

    async def main():
        return await asyncio.gather(*(bus.request("acme/async", i) for i in range(500)))

    assert asyncio.run(main()) == [i + 1 for i in range(500)]


def test_requests_do_not_block_the_event_loop(bus):
    bus.add_destination("acme/slow", "serial")
    release = threading.Event()
    bus.register_listener("acme/slow", lambda r: (release.wait(20), bus.reply(r, "late")))

    async def main():
        pending = asyncio.ensure_future(bus.request("acme/slow", "q"))
        ticks = 0
        while not pending.done():
            ticks += 1
            if ticks == 5:
                release.set()
            await asyncio.sleep(0)
        return ticks, await pending

    ticks, reply = asyncio.run(main())
    assert reply == "late" and ticks >= 5


def test_request_times_out_and_errors_raise_at_once(bus):
    bus.add_destination("acme/mute", "serial")
    bus.register_listener("acme/mute", lambda m: None)

    async def main():
        with pytest.raises(msgbus.SynchronousTimeoutError):
            await bus.request("acme/mute", "q", timeout=0.05)
        with pytest.raises(msgbus.NoSuchDestinationError):
            bus.request("acme/none", "q")

    asyncio.run(main())


def test_request_outside_an_event_loop_raises(bus):
    bus.add_destination("acme/any", "serial")
    bus.register_listener("acme/any", lambda m: None)
    with pytest.raises(RuntimeError):
        bus.request("acme/any", "q")


def test_send_direct_runs_listeners_here_and_returns_the_last_response(bus):
    bus.add_destination("acme/direct", "serial")
    threads = []

    def first(message):
        threads.append(threading.current_thread().name)
        message.response = "first"

    def second(message):
        threads.append(threading.current_thread().name)
        message.response = message.response + "+second"

    bus.register_listener("acme/direct", first)
    bus.register_listener("acme/direct", second)
    assert bus.send_direct("acme/direct", "q") == "first+second"
    assert threads == ["MainThread", "MainThread"]


def test_send_direct_raises_listener_error_from_the_listeners_exception(bus, caplog):
    bus.add_destination("acme/direct-fail", "synchronous")
    later = []

    def fails(message):
        raise ValueError("refused")

    bus.register_listener("acme/direct-fail", fails)
    bus.register_listener("acme/direct-fail", later.append)
    with pytest.raises(msgbus.ListenerError) as raised:
        bus.send_direct("acme/direct-fail", "q")
    assert isinstance(raised.value.__cause__, ValueError)
    assert "refused" in str(raised.value)
    assert later == [], "the failure stopped the call"
    assert bus.statistics("acme/direct-fail").failed_message_count == 1


def test_reply_needs_a_response_destination(bus):
    with pytest.raises(msgbus.InvalidArgumentError):
        bus.reply(msgbus.Message("no response destination"), "x")


def test_a_listener_may_block_on_a_synchronous_send_of_its_own(bus):
    bus.add_destination("acme/outer", "serial")
    bus.add_destination("acme/inner", "serial")
    replier(bus, "acme/inner", lambda r: "inner")
    replier(bus, "acme/outer", lambda r: bus.send_synchronous("acme/inner", "q") + "+outer")
    assert bus.send_synchronous("acme/outer", "q") == "inner+outer"


def test_many_listener_replies_keep_their_correlation(bus):
    bus.add_destination("acme/many", "serial")
    replier(bus, "acme/many", lambda r: r.payload)
    done = Latch(200)
    results = {}

    def client(i):
        results[i] = bus.send_synchronous("acme/many", i)
        done.count_down()

    for i in range(200):
        threading.Thread(target=client, args=(i,)).start()
    assert done.wait()
    assert results == {i: i for i in range(200)}


@pytest.mark.parametrize("kind", ["serial", "parallel", "synchronous"])
def test_a_listener_that_raises_on_a_request_fails_it_at_once(bus, kind, caplog):
    name = f"acme/raises-{kind}"
    bus.add_destination(name, kind)

    def fails(message):
        raise ValueError("the oven is cold")

    bus.register_listener(name, fails)
    # Not a SynchronousTimeoutError after the minute: the listener's failure.
    with pytest.raises(msgbus.ListenerError, match="fails on .* raised ValueError: the oven is cold"):
        bus.send_synchronous(name, "q", timeout=60)

    async def ask():
        with pytest.raises(msgbus.SynchronousTimeoutError):
            # An asyncio request keeps waiting for a reply (README: Decisions).
            await bus.request(name, "q", timeout=0.05)

    asyncio.run(ask())
    assert bus.statistics(name).failed_message_count == 2
