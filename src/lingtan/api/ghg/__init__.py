"""Enterprise GHG accounting, national carbon market evidence and CBAM (``/api/v1/ghg``)."""
