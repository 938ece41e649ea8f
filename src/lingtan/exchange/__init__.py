"""The outbound exchange (对外数据交换): the acceptance evidence pack (验收评估包), the
provincial key energy-user online-monitoring upload (用能单位能耗在线监测) and event webhooks,
all delivered through the one outbox of :mod:`lingtan.alarms.notify` (docs/outbound.md)."""
