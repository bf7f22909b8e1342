"""Everything the bot says: texts, keyboards and callback data, one module per area.

Handlers, jobs and services format through here; views import only the domain, the org
config models and the i18n catalogue (never storage, services, handlers or jobs).
"""
