"""Faithful HTTP test servers for parts that cannot run for real here."""
