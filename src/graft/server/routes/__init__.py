"""One router per resource; each is mounted under /api by graft.server.app."""
