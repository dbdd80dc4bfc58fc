"""Writes, one module per concern: accounts, cases, rules, follow-ups, exports, attachments.

Every service is keyword-only, checks what the actor may do, runs in one transaction
and queues side effects on commit.
"""
