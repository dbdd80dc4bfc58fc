"""Writes of the elevator app: projects and stages, consent, objections, costs."""
