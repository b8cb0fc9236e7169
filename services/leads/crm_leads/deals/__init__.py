"""deals seen from the lead: the sale that won it, payments and cancellation."""
