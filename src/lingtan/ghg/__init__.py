"""Enterprise greenhouse-gas accounting to the sector standards, national carbon-market evidence
and CBAM embedded emissions (issue 21). See docs/ghg.md."""
