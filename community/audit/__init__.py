"""The audit log: who did what to which record, with before/after, written in the same transaction."""
