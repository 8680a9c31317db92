"""The RevOps admin's console (issue 11 §3), mounted at ``/settings/``.

What an admin of HubSpot or Salesforce expects to do without the Django admin:

- **People** — create a person with roles and teams; invite them by email with a
  set-password link (Django's ``PasswordResetTokenGenerator``: the link works once and
  expires with ``PASSWORD_RESET_TIMEOUT``; a new person without a password cannot log
  in until they set one); change name, email, roles and teams; set their routing
  weight and daily cap; deactivate (their MQLs nobody accepted are routed again,
  accepted ones go to their team's manager: ``leads.queue.routing.person_deactivate``)
  and reactivate. An admin cannot deactivate themself or take their own admin role
  (the console would lock its last user out).
- **Teams** — name, kind, manager, members, distribution mode, qualification framework
  and the criteria required before a lead converts.
- **Routing rules** — ordered (moved up and down), created, edited, switched off;
  "which rule would take this lead?" tried on an existing lead or a typed-in example
  through ``routing.route_preview``, the decision path routing itself applies; "Route it
  now" for an unowned lead.
- **Domain lists** — free-mail, competitor and customer domains, normalised as intake
  normalises them.
- **History** — the audit trail of every change (admins; directors read it too).

Every change goes through a service in :mod:`leads.console.services`, which writes the
change and its ``AuditRecord`` in one transaction; each page shows the records of the
objects it edits. Only admins open the console (403 for everyone else).
"""
