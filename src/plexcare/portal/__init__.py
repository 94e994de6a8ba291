"""The shared page toolkit: what every HTML page uses, whichever area it belongs to.

`layout` (the frame, navigation and time labels every page shows), `rendering` (the one Jinja
environment, who is visiting, the role gates and the posted form), `csrf` (every POST form is
protected against cross-site request forgery) and `form_values` (the parsers of typed-in
values). The pages themselves live with their area (`scheduling.pages`, `triage.pages`,
`cases.pages`, `accounts.pages`, `education.pages`); all are server-rendered and usable
without JavaScript.
"""
