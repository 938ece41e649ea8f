"""Hazardous and solid waste: the National Hazardous Waste List, the ledger (危险废物管理台账),
transfer manifests (转移联单), deviation alarms and the park's waste exchange (7.4.1.10)."""
