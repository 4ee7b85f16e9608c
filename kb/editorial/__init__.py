"""The editorial side: accounts and keys, the submission workflow, webhooks and the change
feed, follows and the search log, the audit log, and the database they share (``db``).

Services here return frozen dataclasses (:mod:`kb.editorial.views`), never ORM rows.
"""

from kb.editorial.workflow import Editorial, FieldDiff, etag

__all__ = ["Editorial", "FieldDiff", "etag"]
