"""channel reports aggregate."""
