"""Club assemblies: in-person meetings whose demands and paper ballots count with the online ones."""
