"""The service's ports to the world: its tables, mail transports, the webhook client and the templates."""
