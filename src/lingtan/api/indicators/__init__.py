"""The 1+5 zero-carbon park indicators and their evaluation against targets."""
