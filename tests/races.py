"""Threads lined up on a `threading.Barrier`, each with its own database connection: the race
tests' one way of running writers at the same moment (real on PostgreSQL; on SQLite the
IMMEDIATE transaction serialises them)."""

import threading

from django.db import connection


def race(*works) -> list:
    """Run each work in its own thread, all released at once; their results or errors."""
    barrier = threading.Barrier(len(works), timeout=30)
    results: list = [None] * len(works)

    def run(index, work):
        try:
            barrier.wait()
            results[index] = work()
        except BaseException as error:  # reported by the test, not lost in the thread
            results[index] = error
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=item) for item in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    return results


def unexpected(results, *allowed) -> list:
    return [r for r in results if isinstance(r, BaseException) and not isinstance(r, allowed)]
