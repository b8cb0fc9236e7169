"""greetings."""
