"""Carbon accounting results with explanation (park, enterprise, building) and their history."""
