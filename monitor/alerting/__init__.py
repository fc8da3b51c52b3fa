"""``Summary`` -> the story/event decision -> outbox rows, written in the item's transaction."""
