"""Sources of work that are not chat: each receiver turns outside events into requests to the
service through the front-end contract (bot/service/contract.py), like a chat front end."""
