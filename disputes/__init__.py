"""The party secretary's dispute clinic."""
