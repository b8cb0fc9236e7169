"""imports aggregate."""
