"""Alarm notifications (告警通知): channels, a transactional outbox, webhook and e-mail delivery."""
