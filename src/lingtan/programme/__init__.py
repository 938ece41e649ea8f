"""The energy-management programme: annual energy- and water-saving plans with their targets
and measures, progress from metered data, savings verification (GB/T 28750-2012) and the
contract-energy settlement (GB/T 24915-2020), the energy management system's records
(GB/T 23331-2020), cleaner-production audits, circular projects between enterprises and
building energy-saving reviews.

* :mod:`.mv` — the adjusted-baseline verification and the settlement (pure);
* :mod:`.progress` — a plan's progress against its targets (pure);
* :mod:`.models` — the validated input documents;
* :mod:`.records` — what records compute from the data they cite;
* :mod:`.service` — the store-backed operations (tenant-scoped);
* :mod:`.report` — the annual plan workbook.
"""
