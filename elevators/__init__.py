"""Elevator retrofits decided by owners' consent."""
