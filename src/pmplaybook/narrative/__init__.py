"""Findings and sentences, one module per framework. Every sentence that judges is computed from a metric
function's output, so it changes when the data do; nothing here computes a metric of its own."""
