"""The emergency-event register (应急事件台账) over HTTP: incidents, time lines, attachments,
closing and the report export."""
