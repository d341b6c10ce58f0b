"""The catalog's rules, free of I/O: vendors, products, stock arithmetic and sequences, reservations."""
