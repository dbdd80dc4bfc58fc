"""Civilized-city creation: criteria, inspections, supervision orders, outreach."""
