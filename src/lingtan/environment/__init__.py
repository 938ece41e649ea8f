"""Environmental quality (环境质量): GB 3095-2012 ambient-air and GB 3838-2002 surface-water
assessment, pure functions over series (no store). Station data arrive through the HJ 212
connector (``lingtan.connectors.hj212``)."""
