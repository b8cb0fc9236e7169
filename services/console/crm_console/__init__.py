"""The web console: server-rendered screens over the services' public HTTP API."""
