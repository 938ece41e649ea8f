"""Statistics records (waste, waste heat, water, product output): entry, corrections, import."""
