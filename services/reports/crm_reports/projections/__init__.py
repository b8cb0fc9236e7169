"""Event -> read-model projections; each change guarded so redelivery counts once."""
