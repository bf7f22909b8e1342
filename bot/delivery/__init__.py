"""Delivery of proactive messages from the transactional outbox."""

from bot.delivery.limits import Rate, RateLimiter, RateLimits
from bot.delivery.sender import DrainReport, OutboxSender

__all__ = ["DrainReport", "OutboxSender", "Rate", "RateLimiter", "RateLimits"]
