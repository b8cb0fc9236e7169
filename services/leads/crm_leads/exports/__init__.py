"""Controlled exports of leads (受控文件): masked at once, full numbers after a manager's approval."""
