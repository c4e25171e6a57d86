"""unioncat as a service to other systems: OAI-PMH provider, SRU/CQL, MARC output (and feeds, exports)."""
