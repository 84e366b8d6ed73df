"""Request bodies, derived from the commands they carry.

A route's body is its command's fields minus those the path gives (the
tenant, the pool, ...), declared once: on the command. FastAPI validates the
body; `command()` adds the path's values to it without validating the fields
again (the same field definitions already did).
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from domain.commands import Command


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    command_model: ClassVar[type[Command]]

    def command(self, **path: Any) -> Command:
        model = self.command_model
        fields = {**self.model_dump(), **path}
        if not model.__pydantic_decorators__.model_validators:
            set_fields = self.model_fields_set | set(path)
            return model.model_construct(_fields_set=set_fields, **fields)
        # Rules across fields live on the command: they run here, once.
        try:
            return model.model_validate(
                {k: fields[k] for k in self.model_fields_set | set(path)}
            )
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
            ) from None


def body_of(
    model: type[Command], name: str, *, path: tuple[str, ...] = ()
) -> type[Body]:
    """The body of the route that sends `model`, without the path's fields."""
    fields: dict[str, Any] = {
        n: (f.annotation, f) for n, f in model.model_fields.items() if n not in path
    }
    body: type[Body] = create_model(
        name, __base__=Body, __module__="api.schemas", **fields
    )
    body.command_model = model
    return body
