"""What users do, as the stand-in produces it: users, chats and members, and the updates
their messages, commands, button presses and inline queries become. Mixed into the
stand-in (bot.sandbox.standin)."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from bot.sandbox.messages import BOT_USER, Call, Messages
from bot.sandbox.rules import ApiError, command_entities


class Users(Messages):
    def __init__(self) -> None:
        super().__init__()
        self.chats: dict[int | str, dict[str, Any]] = {}
        self.chat_members: dict[tuple[int, int], dict[str, Any]] = {}
        self._answered: set[object] = set()  # callback queries answered
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Event()

    @staticmethod
    def user(user_id: int = 42, language_code: str = "en", **extra: Any) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            "language_code": language_code,
            **extra,
        }

    @staticmethod
    def group_chat(chat_id: int = -100_123, title: str = "Group", **extra: Any) -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": title, **extra}

    @staticmethod
    def channel(chat_id: int = -100_777, username: str = "news") -> dict[str, Any]:
        return {"id": chat_id, "type": "channel", "title": username.title(), "username": username}

    @staticmethod
    def member(user: dict[str, Any], status: str = "member") -> dict[str, Any]:
        """A ChatMember of `status` (member, left, kicked, creator)."""
        extra: dict[str, Any] = {"is_anonymous": False} if status == "creator" else {}
        if status == "kicked":
            extra["until_date"] = 0
        return {"status": status, "user": user, **extra}

    @staticmethod
    def administrator(user: dict[str, Any], can_post_messages: bool = True) -> dict[str, Any]:
        rights = (
            "can_be_edited can_manage_chat can_delete_messages can_manage_video_chats "
            "can_restrict_members can_promote_members can_change_info can_invite_users "
            "can_post_stories can_edit_stories can_delete_stories"
        ).split()
        return {
            "status": "administrator",
            "user": user,
            "is_anonymous": False,
            **dict.fromkeys(rights, False),
            "can_post_messages": can_post_messages,
        }

    def set_member(self, chat_id: int, member: dict[str, Any]) -> None:
        """What getChatMember answers for this chat and member["user"]."""
        self.chat_members[(chat_id, member["user"]["id"])] = member

    def push_membership(
        self, chat: dict[str, Any], old: str, new: str, by: dict[str, Any] | None = None
    ) -> int:
        """The bot's own membership in `chat` changed (blocked, kicked, added back)."""
        payload = {
            "chat": chat,
            "from": by or self.user(),
            "date": int(time.time()),
            "old_chat_member": self.member(BOT_USER, old),
            "new_chat_member": self.member(BOT_USER, new),
        }
        return self.push("my_chat_member", payload)

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue a raw update of `kind` (message, callback_query, ...); returns its id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._new_update.set()
        return update_id

    def push_message(
        self,
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
        **extra: Any,
    ) -> int:
        return self.push("message", self.message(text, chat=chat, user=user, **extra))

    push_command = push_message

    def message(
        self,
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A Message a user writes (by default in their private chat with the bot)."""
        user = user or self.user()
        chat = chat or self.private_chat(user["id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
            **extra,
        }
        entities = command_entities(text)
        if entities:
            message["entities"] = entities
        return message

    def push_callback(
        self,
        data: str,
        *,
        message: Call | dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
    ) -> int:
        return self.push("callback_query", self.callback_query(data, message=message, user=user))

    def callback_query(
        self,
        data: str,
        *,
        message: Call | dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A press of a button: `message` is the recorded call (or message) that carried it."""
        user = user or self.user()
        if isinstance(message, Call):
            message = self.message_from_call(message)
        payload: dict[str, Any] = {
            "id": str(next(self._message_ids)),
            "from": user,
            "chat_instance": "1",
            "data": data,
        }
        if message is not None:
            payload["message"] = message
        return payload

    def push_inline_query(
        self, query: str, *, offset: str = "", user: dict[str, Any] | None = None
    ) -> int:
        payload = {
            "id": str(next(self._message_ids)),
            "from": user or self.user(),
            "query": query,
            "offset": offset,
        }
        return self.push("inline_query", payload)

    def message_from_call(self, call: Call) -> dict[str, Any]:
        """The message a sendMessage/editMessageText call produced, as Telegram shows it."""
        result = call.get("_result")
        if not isinstance(result, dict):
            raise ValueError(f"{call.method} produced no message")
        return result

    # -- Bot API methods about users and chats ---------------------------------------

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        """A press is answered once (answerCallbackQuery's `callback_query_id` is spent)."""
        query_id = params.get("callback_query_id")
        if query_id in self._answered:
            raise ApiError(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self._answered.add(query_id)
        return True

    async def _api_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        results = params.get("results") or []
        if len(results) > 50:
            raise ApiError("Bad Request: RESULTS_TOO_MUCH")
        return True

    async def _api_getChat(self, params: dict[str, Any]) -> Any:
        chat = self.chats.get(params["chat_id"])
        if chat is None:
            raise ApiError("Bad Request: chat not found")
        return {"accent_color_id": 0, "max_reaction_count": 11, **chat}  # ChatFullInfo

    async def _api_getChatMember(self, params: dict[str, Any]) -> Any:
        member = self.chat_members.get((params["chat_id"], params["user_id"]))
        if member is None:
            if params["chat_id"] not in {key[0] for key in self.chat_members}:
                raise ApiError("Bad Request: chat not found")
            return self.member(self.user(params["user_id"]))
        return member
