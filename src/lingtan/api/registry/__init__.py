"""The park registry: park, enterprises, sites and buildings, metering points (incl. virtual)."""
