"""Your zone: handlers for the contract's operations that shopgen does not implement.

shopgen writes one stub per such operation, once, and never overwrites it. A stub answers
501 in the envelope until you write its body and remove its `@stub` mark.
"""
