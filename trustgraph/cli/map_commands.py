"""(commands added by their analysis module)."""
