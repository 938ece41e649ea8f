"""``/api/v1/waste``: the hazardous-waste ledger, manifests, licences and the exchange."""
