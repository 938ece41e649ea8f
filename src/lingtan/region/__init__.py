"""Regional platform over many parks (区域平台): federation of park uploads and region-wide recomputations."""
