"""Thin entry points: parse, load, evaluate, render."""
