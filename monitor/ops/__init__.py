"""Operations: the HTTP listener, health checks, metrics, feed-health notices."""
