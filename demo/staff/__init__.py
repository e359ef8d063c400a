"""Staff and shifts: a receiver that does real work, with queries."""
