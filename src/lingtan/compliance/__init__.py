"""Admission, energy limits and efficiency compliance (issue 19; park standard 7.9.3, 7.9.5,
7.9.7, 7.9.8, 8.3.1–8.3.4).

* :mod:`.reference` — the reference records: 能效标杆水平和基准水平 (发改产业〔2023〕723号),
  the product limit standards (单位产品能源消耗限额, read with the indicators' limit records),
  the industry catalogue (产业结构调整指导目录（2024年本）, an illustrative selection), the
  water-intake quotas (取水定额, GB/T 18916 parts);
* :mod:`.grading` — product unit energy graded against limit levels and 标杆/基准 (pure);
* :mod:`.backward` — the backward-capacity list of 8.3.4 (pure);
* :mod:`.enpi` — energy performance indicators and an OLS baseline (GB/T 23331, GB/T 36713);
* :mod:`.water_balance` — a GB/T 12452 water-balance test and its workbook;
* :mod:`.water_quota` — water intake per unit of product against the 取水定额 (7.9.7, pure);
* :mod:`.audit` — a GB/T 17166 energy-audit workbook;
* :mod:`.admission` — project admission rules (8.3.1–8.3.3, pure);
* :mod:`.service` — the store-backed operations (tenant-scoped).

This module imports nothing heavy: :mod:`lingtan.indicators.limits` reads the data folder.
"""
