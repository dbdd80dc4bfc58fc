"""Clinic pages: intake, mediation, queue and detail, concerns."""
