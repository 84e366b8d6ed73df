"""The application layer: the one way anything changes (the command bus) and
the reads the routes need (queries). Every entry point calls it: HTTP routes,
`POST /v1/commands`, the Kafka command consumer, the CLI and the demo."""
