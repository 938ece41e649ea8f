"""The regional platform over many parks (区域平台, 园区与省、市、区平台互联): parks upload their
figures to a regional lingtan (federation), and region-wide recomputations run on Dask."""
