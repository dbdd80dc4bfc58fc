"""Estates, buildings, households, residents and the three estate management modes."""
