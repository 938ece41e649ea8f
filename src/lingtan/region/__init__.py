"""Region mode (园区与省、市、区平台互联): parks upload their figures to a regional lingtan."""
