"""Pure domain logic: number parsing and formatting, free-text reports, validation rules.

Nothing in this package does I/O or knows about Telegram or the database; every function takes
plain values (or the parsed org file) and returns plain values.
"""
