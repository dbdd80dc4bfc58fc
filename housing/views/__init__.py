"""Housing pages, one module per area: registry, governance, desk visits and issues, import."""
