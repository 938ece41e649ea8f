"""OPC UA client: node → point mapping, subscriptions, history backfill, a simulated server."""
