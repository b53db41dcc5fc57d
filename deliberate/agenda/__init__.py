"""The published agenda: drafting, equity checks, minority section and reports, versions, public pages."""
