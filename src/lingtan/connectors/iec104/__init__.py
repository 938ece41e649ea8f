"""IEC 60870-5-104 client (远动规约 104, DL/T 634.5104-2009): substation RTUs and grid meters."""
