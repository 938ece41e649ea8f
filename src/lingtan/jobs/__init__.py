"""Background jobs: long work (reports, recomputation) queued in the ``job`` table, run by a
worker thread pool in the serving process and polled by callers."""

from __future__ import annotations

from lingtan.jobs.service import JobContext, JobKind, JobOutput, register_kind

__all__ = ["JobContext", "JobKind", "JobOutput", "register_kind"]
