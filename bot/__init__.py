"""Bot Framework side: activity handler, understanding, middleware."""
