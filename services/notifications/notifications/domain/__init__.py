"""What notifications an order event causes, to whom, and how a webhook is signed: pure, no I/O."""
