"""Work in a forked process: its result comes back, a failure leaves the work to the caller,
and a stopped process is gone."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

import pytest

from shopgen.forking import Forked, can_fork, cpus

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")


def test_the_result_comes_back_from_the_child() -> None:
    parent = os.getpid()
    forked = Forked.start(lambda: (os.getpid(), [1, 2, 3]))
    child, value = forked.result() or (parent, None)
    assert child != parent and value == [1, 2, 3]
    assert multiprocessing.active_children() == []


def test_a_failure_in_the_child_is_none() -> None:
    def fail() -> int:
        raise ValueError("not here")

    assert Forked.start(fail).result() is None


def test_a_child_that_is_no_daemon_may_fork_its_own() -> None:
    def nested() -> int | None:
        return Forked.start(lambda: 7).result()

    assert Forked.start(nested, daemon=False).result() == 7
    # A daemon may not: the nested fork fails, and the caller does the work.
    assert Forked.start(nested).result() is None


def test_a_stopped_child_is_gone() -> None:
    forked = Forked.start(lambda: time.sleep(60))
    started = time.monotonic()
    forked.stop()
    assert time.monotonic() - started < 10
    assert multiprocessing.active_children() == []


def test_forking_pays_off_with_a_spare_cpu() -> None:
    assert cpus() >= 1
    assert can_fork() == (cpus() > 1)
