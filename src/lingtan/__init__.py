"""lingtan (零碳): the park-level energy-carbon management platform (园区能碳管理平台)."""

__version__ = "0.1.0"
