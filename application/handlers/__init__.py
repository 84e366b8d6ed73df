"""Command handlers: each takes its command and a session, loads what it
needs, calls the aggregates' verbs and returns what it changed (get -> call
-> return, as in the eventsourcing examples); the bus saves."""
