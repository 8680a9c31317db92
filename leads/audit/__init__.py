"""One audit trail for the whole product (issue 11 §3).

Every change an admin makes in the console (people, teams, routing rules, domain
lists), every export of leads and every bulk action writes an :class:`AuditRecord`:
who, when, what (an action code such as ``team.update``), on which object, and the
values before and after. Records are written by services in the same transaction as
the change they describe (a rolled-back change leaves no record) and are never
edited: the admin shows them read-only and nothing in the product updates or deletes
them. A record names its target by type, id and a label copied at the time, so it
still reads when the object is gone.

Each capability registers the words for its action codes
(:func:`leads.audit.words.register_actions`); an unknown code is shown as stored.
"""
