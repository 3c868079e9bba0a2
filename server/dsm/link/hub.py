"""Open connections by user, so a change made on one connection can be pushed to the others."""

from __future__ import annotations

from typing import Any, Protocol


class Pushable(Protocol):
    user_id: int | None

    async def push(self, name: str, body: dict[str, Any]) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class Hub:
    def __init__(self) -> None:
        self._all: set[Pushable] = set()

    def add(self, conn: Pushable) -> None:
        self._all.add(conn)

    def discard(self, conn: Pushable) -> None:
        self._all.discard(conn)

    def __len__(self) -> int:
        return len(self._all)

    def connections(self) -> list[Pushable]:
        return list(self._all)

    def of_user(self, user_id: int) -> list[Pushable]:
        return [c for c in self._all if c.user_id == user_id]

    def active_users(self) -> set[int]:
        return {c.user_id for c in self._all if c.user_id is not None}

    async def push_to_others(self, user_id: int, origin: Pushable | None, name: str, body: dict[str, Any]) -> None:
        for conn in self.of_user(user_id):
            if conn is not origin:
                await conn.push(name, body)
