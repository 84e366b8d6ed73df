"""The webhook sender: follows the store's log, records deliveries, sends them."""
