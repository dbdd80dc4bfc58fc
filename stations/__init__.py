"""Rest stations for outdoor workers."""
