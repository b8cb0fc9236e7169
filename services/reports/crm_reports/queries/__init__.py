"""Report parameters, the seven reports and the boards as pure rules, and their reads."""
