"""The embedded store under concurrent requests: every statement on its one connection runs under the store
lock. An unlocked ``PRAGMA user_version`` (read by ``data_version``, which every search answer carries) beside
locked reads on other threads deadlocked two concurrent requests of the gene page. Bounded in count and time."""

from __future__ import annotations

import threading
import time

from kb.store import SQLiteStore
from kb.store.base import EvidenceFilter


def test_concurrent_reads_and_data_versions_never_deadlock(vocab_store: SQLiteStore) -> None:
    failures: list[BaseException] = []

    def reader(n: int) -> None:
        try:
            for _ in range(150):
                if n % 2:
                    vocab_store.data_version()
                    assert vocab_store.schema_version >= 1
                else:
                    vocab_store.evidence_matching(genes=["EGFR"], tumors=[], drugs=[], filters=EvidenceFilter())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not [t for t in threads if t.is_alive()], "a reader is stuck: the store deadlocked"
    assert not failures, failures
