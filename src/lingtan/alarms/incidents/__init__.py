"""The emergency-event register (突发事件 / 应急事件台账, park standard 8.2.6).

Kinds and grades come from the Emergency Response Law (``data/emergency_law.yaml``, read by
:mod:`~lingtan.alarms.incidents.catalog`); :mod:`~lingtan.alarms.incidents.model` holds the pure
types and rules, :mod:`~lingtan.alarms.incidents.service` the register's operations and
:mod:`~lingtan.alarms.incidents.export` the zh-CN/English report of one incident.
"""
