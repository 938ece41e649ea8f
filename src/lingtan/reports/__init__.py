"""Reports people file: park annual carbon report (附件4), enterprise GHG inventory (GB/T 32150),
indicator evaluation with evidence, monthly energy statistics — zh-CN by default, English
available, as Excel workbooks (openpyxl, native charts) and self-contained HTML pages."""

from __future__ import annotations

from lingtan.reports.service import (
    CONTENT_TYPES,
    FORMATS,
    KINDS,
    build_document,
    build_report,
    filename,
    write,
)

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "KINDS",
    "build_document",
    "build_report",
    "filename",
    "write",
]
