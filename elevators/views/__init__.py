"""Elevator pages: projects, consent, stages and objections, cost sharing."""
