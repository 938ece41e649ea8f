"""The dashboard: server-rendered pages (Jinja2), zh-CN by default with English."""
