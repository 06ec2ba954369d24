"""The response envelope every JSON answer wears: `{"code": int, "data": ..., "msg": str}`."""

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    code: int = 0
    data: T
    msg: str = "ok"


def ok(data: T, msg: str = "ok") -> Envelope[T]:
    return Envelope[T](data=data, msg=msg)


def empty(msg: str = "ok") -> Envelope[None]:
    return Envelope[None](data=None, msg=msg)
