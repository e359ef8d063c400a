"""A small shop: model signals of orders, run-time receivers, a large catalog."""
