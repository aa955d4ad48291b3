"""Benchmarks: retrieval and answer quality on XQuAD, speed against a floor and a peer, and scale."""
