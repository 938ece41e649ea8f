"""Alarm notification channels and deliveries (告警通知渠道与投递)."""
