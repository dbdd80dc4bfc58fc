"""Writes of the clinic: intake, mediation, concerns."""
