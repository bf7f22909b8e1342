"""`opsbot sandbox` command."""


def sandbox_command() -> None:
    """Run the local Telegram Bot API sandbox for manual tries."""
    raise NotImplementedError
