"""The read side the routes use: state from the store (strongly consistent,
or as it was at an instant), projection views, history pages. Every read is
checked with the one scope rule (queries/scope.py)."""
