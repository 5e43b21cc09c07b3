"""Accounting: plain rules (:mod:`.rules`) and the books built from an engine trace (:mod:`.books`)."""
