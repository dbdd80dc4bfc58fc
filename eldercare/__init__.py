"""Elderly care facilities, home adaptation and medical-care integration."""
