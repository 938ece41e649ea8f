"""BACnet/IP connector (ANSI/ASHRAE 135 Annex J): discovery, polling, COV, a simulator."""
