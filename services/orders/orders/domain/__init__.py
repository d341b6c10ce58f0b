"""The orders domain: plain Python, no I/O. Orders split per vendor, the vendor order state machine, money."""
