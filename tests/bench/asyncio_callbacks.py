"""Times asyncio's event loop on the two callback workloads of `loop_callbacks_1m`.

chain: one callback at a time; each schedules the next with call_soon, the last stops the loop.
batch: every callback is queued with call_soon before the loop starts; the last one to run
       stops it (the time includes queueing them).

Each workload runs on a fresh loop from asyncio.new_event_loop(), best of 3. Prints one JSON
line with the cost per callback in nanoseconds, which `cargo xtask bench` reads:
{"python": "3.11.7", "chain_ns_per_callback": ..., "batch_ns_per_callback": ...}

Usage: python3 asyncio_callbacks.py [CALLBACKS]   (default 1,000,000; a smaller count is for tests)
"""

import asyncio
import json
import platform
import sys
import time

RUNS = 3


def time_chain(callbacks):
    """Nanoseconds for `callbacks` callbacks, each scheduled by the one before."""
    loop = asyncio.new_event_loop()
    left = callbacks

    def step():
        nonlocal left
        left -= 1
        if left:
            loop.call_soon(step)
        else:
            loop.stop()

    try:
        start = time.perf_counter_ns()
        loop.call_soon(step)
        loop.run_forever()
        elapsed = time.perf_counter_ns() - start
    finally:
        loop.close()
    assert left == 0, f"the loop stopped with {left} callbacks still to run"
    return elapsed


def time_batch(callbacks):
    """Nanoseconds to queue `callbacks` callbacks up front and run the loop until all have run."""
    loop = asyncio.new_event_loop()
    left = callbacks

    def tick():
        nonlocal left
        left -= 1
        if not left:
            loop.stop()

    try:
        start = time.perf_counter_ns()
        for _ in range(callbacks):
            loop.call_soon(tick)
        loop.run_forever()
        elapsed = time.perf_counter_ns() - start
    finally:
        loop.close()
    assert left == 0, f"the loop stopped with {left} callbacks still to run"
    return elapsed


def main():
    callbacks = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    if callbacks < 1:
        sys.exit(f"CALLBACKS must be at least 1, not {callbacks}")
    chain = min(time_chain(callbacks) for _ in range(RUNS))
    batch = min(time_batch(callbacks) for _ in range(RUNS))
    print(json.dumps({
        "python": platform.python_version(),
        "chain_ns_per_callback": chain / callbacks,
        "batch_ns_per_callback": batch / callbacks,
    }))


if __name__ == "__main__":
    main()
