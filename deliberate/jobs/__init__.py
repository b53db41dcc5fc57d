"""Background work: the queue (``queue``), jobs and their bookkeeping (``services``), the worker, the admin's list."""
