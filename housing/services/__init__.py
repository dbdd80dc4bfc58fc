"""Writes of the housing app: registry (estates, people, binding), governance, desk and issues."""
