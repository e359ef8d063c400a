"""Common mistakes with signals, committed on purpose for the panel to find."""
