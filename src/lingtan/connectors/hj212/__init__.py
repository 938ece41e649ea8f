"""HJ 212-2017 (污染物在线监控（监测）系统数据传输标准): packet codec, TCP stream splitter,
asyncio server for station connections and a station simulator."""
