"""Offline question answering with citations over Arabic news articles."""
