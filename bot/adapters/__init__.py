"""Chat adapters: each turns its platform's events into service calls and renders replies."""
