"""Federation health: who takes part and leads, women's share in each group, flags and quota rules."""
