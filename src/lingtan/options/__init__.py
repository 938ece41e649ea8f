"""The park's options: one stored, versioned setting behind every number (docs/options.md)."""

from lingtan.options.model import DEFAULTS, OptionsVersion, ParkOptions, UsedOptions

__all__ = ["DEFAULTS", "OptionsVersion", "ParkOptions", "UsedOptions"]
