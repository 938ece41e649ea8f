"""Reference data files of the GHG layer (read by :mod:`lingtan.ghg.records`)."""
