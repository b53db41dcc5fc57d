"""Events: workshops, assemblies and trainings with their seats, waiting list, attendance and materials."""
