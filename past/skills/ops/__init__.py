"""Skill-vector operations, one module each: extract, inject (+ compose, merge_adapter), compress, check, analyze."""
